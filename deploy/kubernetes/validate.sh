#!/usr/bin/env bash
# Validates the Kubernetes manifests without a cluster (none runs in CI):
#   bash deploy/kubernetes/validate.sh
# Renders them with `kubectl kustomize` (kubectl's built-in kustomize), then checks every
# object against the Kubernetes API's OpenAPI schema for KUBERNETES_VERSION (default 1.31.0)
# with kubernetes-validate (PyPI, installed into target/ on first use), strictly: an unknown
# or misspelt field fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${KUBERNETES_VERSION:-1.31.0}
tool=target/tmp/kubernetes-validate
if ! PYTHONPATH=$tool "$tool/bin/kubernetes-validate" --version >/dev/null 2>&1; then
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
    --target "$tool" kubernetes-validate==1.31.0
fi
mkdir -p target/tmp
rendered=target/tmp/kubernetes.yaml
kubectl kustomize deploy/kubernetes >"$rendered"
PYTHONPATH=$tool "$tool/bin/kubernetes-validate" --kubernetes-version "$version" --strict "$rendered"
# What the schema cannot say: the pod runs under the restrictions the image is tested with.
for needle in 'readOnlyRootFilesystem: true' 'runAsNonRoot: true' 'allowPrivilegeEscalation: false' \
  '- ALL' 'grpc:' 'name: textanalysis-headless' 'kind: PodDisruptionBudget' \
  'kind: HorizontalPodAutoscaler'; do
  grep -qF -- "$needle" "$rendered" || {
    echo "validate: $needle missing from the rendered manifests" >&2
    exit 1
  }
done
echo "validate: $(grep -c '^kind:' "$rendered") objects valid against Kubernetes $version"
