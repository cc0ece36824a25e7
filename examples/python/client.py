"""A Python client of the textanalysis service: stubs generated from proto/ with grpcio-tools,
a deadline on every call, the field violations of a refused request read with grpcio-status,
and the retrying service config (examples/service-config.json: calls that fail with
UNAVAILABLE, say on a replica that died, are sent again; round_robin over every address).

    python3 -m venv .venv && .venv/bin/pip install -r examples/python/requirements.txt
    .venv/bin/python -m grpc_tools.protoc -I proto --python_out=examples/python \
        --grpc_python_out=examples/python proto/textanalysis/v1/textanalysis.proto
    .venv/bin/python examples/python/client.py localhost:50051
"""

import pathlib
import sys

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from textanalysis.v1 import textanalysis_pb2 as pb
from textanalysis.v1 import textanalysis_pb2_grpc as pb_grpc

DEADLINE = 5.0  # seconds, sent to the server as grpc-timeout
SERVICE_CONFIG = (pathlib.Path(__file__).parent.parent / "service-config.json").read_text()


def main(addr: str) -> int:
    options = [("grpc.service_config", SERVICE_CONFIG), ("grpc.enable_retries", 1)]
    with grpc.insecure_channel(addr, options=options) as channel:
        client = pb_grpc.TextAnalysisStub(channel)

        answer = client.Segment(
            pb.SegmentRequest(text="我来到北京清华大学", with_pos=True), timeout=DEADLINE
        )
        for t in answer.tokens:
            print(f"segment: {t.word} [{t.start}..{t.end}) {t.pos}")

        answer = client.ExtractKeywords(
            pb.ExtractKeywordsRequest(
                text="人工智能是引领新一轮科技革命和产业变革的战略性技术，人工智能产业发展迅速。",
                method=pb.TEXTRANK,
                top_k=3,
            ),
            timeout=DEADLINE,
        )
        for k in answer.keywords:
            print(f"keyword: {k.word} {k.weight:.3f}")

        answer = client.Classify(
            pb.ClassifyRequest(text="质量很好，物流也快，非常满意"), timeout=DEADLINE
        )
        print(f"classify: {answer.labels[0].label} {answer.labels[0].probability:.3f}")

        # A stream of documents, answered in order, each with its id.
        documents = (
            pb.AnalyzeRequest(id=text, text=text, classify=pb.ClassifyOptions())
            for text in ["很好用", "太差了"]
        )
        for answer in client.AnalyzeStream(documents, timeout=DEADLINE):
            print(f"stream: {answer.id} → {answer.classification.labels[0].label}")

        # A refused request names every bad field in a google.rpc.BadRequest detail.
        try:
            client.Segment(pb.SegmentRequest(text=""), timeout=DEADLINE)
        except grpc.RpcError as error:
            status = rpc_status.from_call(error)
            violations = []
            for detail in status.details if status else []:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad_request = error_details_pb2.BadRequest()
                    detail.Unpack(bad_request)
                    violations.extend(bad_request.field_violations)
            for v in violations:
                print(f"refused: {error.code().name} {v.field}: {v.description}")
            if not violations:
                print("the refusal carried no BadRequest detail", file=sys.stderr)
                return 1
        else:
            print("an empty text was not refused", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "localhost:50051"))
