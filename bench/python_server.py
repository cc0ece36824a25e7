"""The server a user might write instead of textanalysis: Python grpcio + jieba 0.42.1
implementing textanalysis.v1.TextAnalysis/Segment (precise mode, HMM on, offsets filled as
textanalysis fills them). Used by bench/run.sh as comparison (c).

    python bench/python_server.py --addr 127.0.0.1:50062 --stubs DIR --threads 8
"""

import argparse
import sys
import time
from concurrent import futures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--addr", default="127.0.0.1:50062")
    parser.add_argument("--stubs", required=True, help="directory of the generated *_pb2 modules")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    sys.path.insert(0, args.stubs)

    import grpc
    import jieba
    from textanalysis.v1 import textanalysis_pb2 as pb
    from textanalysis.v1 import textanalysis_pb2_grpc as pb_grpc

    jieba.setLogLevel(60)
    jieba.initialize()

    class TextAnalysis(pb_grpc.TextAnalysisServicer):
        def Segment(self, request, context):
            text = request.text
            if not text:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "text must not be empty")
            tokens = []
            byte = 0
            for word, start, end in jieba.tokenize(text, HMM=not request.disable_hmm):
                size = len(word.encode("utf-8"))
                tokens.append(
                    pb.Token(word=word, start=start, end=end, byte_start=byte, byte_end=byte + size)
                )
                byte += size
            return pb.SegmentResponse(tokens=tokens)

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=args.threads),
        options=[
            ("grpc.max_receive_message_length", 16 * 1024 * 1024),
            ("grpc.max_send_message_length", 64 * 1024 * 1024),
        ],
    )
    pb_grpc.add_TextAnalysisServicer_to_server(TextAnalysis(), server)
    server.add_insecure_port(args.addr)
    server.start()
    print(f"python server listening on {args.addr}", flush=True)
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(1)
        time.sleep(0.1)


if __name__ == "__main__":
    main()
