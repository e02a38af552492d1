#!/usr/bin/env bash
# EXPERIMENTAL, not in CI (docs/e2e.md, "Tier 2"): the dev environment under real Argo CD.
# Starts, in a network namespace with only a loopback interface, a fresh control plane (etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler), kwok with one fake node (Pods become
# Running and Ready without a container runtime), redis-server, `git daemon` serving a clone of
# HEAD re-synthed with its repoURL on the loopback remote, and Argo CD's application-controller,
# repo-server and applicationset-controller as local processes, and cert-manager's webhook and
# controller (e2e/go/cert-manager) at their kwok Pods' IPs; runs `pnpm bootstrap --env dev`
# itself, then prints every Application's sync/health status until all are Synced and Healthy
# or the timeout passes, with the seconds each took; then the verdict of e2e/convergence.ts (one
# line per expected Application, `tier2: N passed, N failed`): exit 0 when all converged, 1 otherwise.
#
# Usage: ZT_CHARTS_DIR=... ZT_CRDS_DIR=... e2e/tier2-spike.sh [timeout seconds, default 600]
# Needs: the binaries of e2e/build.sh (kubernetes, argocd, kwok, cert-manager) and their Go module cache
# (Argo CD's hack/ scripts and kwok's stages are taken from it), git, redis-server, openssl.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"
timeout="${1:-600}"
env=dev
# Placeholder repoURL for synth (argocd/settings.ts accepts https and ssh only), replaced in the
# rendered tree by the git:// URL of the loopback daemon.
placeholder='https://git.zt-e2e.invalid/zt-eks-gitops.git'
git_url='git://127.0.0.1:9418/repo'

if [ -z "${ZT_E2E_TIER2_ISOLATED:-}" ]; then
  : "${ZT_CHARTS_DIR:?set ZT_CHARTS_DIR (the upstream charts synth renders offline)}"
  # Built with network, outside the namespace.
  kb="$("$here/build.sh" kubernetes)"
  ab="$("$here/build.sh" argocd)"
  kw="$("$here/build.sh" kwok)"
  cm="$("$here/build.sh" cert-manager)"
  export ZT_E2E_TIER2_ISOLATED=1 KB="$kb" AB="$ab" KW="$kw" CM="$cm"
  if [ "$(id -u)" = 0 ]; then userns=(); else userns=(--user --map-root-user); fi
  exec unshare "${userns[@]}" --net --fork --kill-child=SIGTERM -- sh -c 'ip link set lo up && exec "$@"' sh "$0" "$@"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/zt-e2e-tier2-XXXXXX")"
logs="$tmp/logs"
mkdir -p "$logs" "$tmp/bin" "$tmp/pki" "$tmp/srv"
pids=()
cleanup() {
  local p
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  sleep 2
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  echo "tier2: logs in $logs" >&2
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
# start <name> <command...>: in the background, output to <logs>/<name>.log, PID recorded.
start() {
  local name="$1"
  shift
  "$@" >"$logs/$name.log" 2>&1 &
  pids+=($!)
  echo "$! $name" >>"$logs/pids"
}
t0=$SECONDS
elapsed() { echo $((SECONDS - t0)); }

# 1. The repository as Argo CD will fetch it: HEAD, re-synthed with the loopback repoURL.
work="$tmp/srv/work"
git clone -q "$repo_root" "$work"
git -C "$work" checkout -q -B main
ln -s "$repo_root/node_modules" "$work/node_modules"
sed -i "s#repoURL: '[^']*'#repoURL: '$placeholder'#" "$work/argocd/config.ts"
(cd "$work" && node_modules/.bin/tsx lib/cli/synth.ts >"$logs/synth.log" 2>&1)
grep -rlF "$placeholder" "$work/dist" | xargs sed -i "s#$placeholder#$git_url#g"
git -C "$work" add -A dist argocd/config.ts
git -C "$work" -c user.email=e2e@zt-e2e.invalid -c user.name=zt-e2e commit -qm 'e2e: loopback repoURL'
git clone -q --bare "$work" "$tmp/srv/repo.git"
echo "tier2: synthed $(git -C "$work" rev-parse --short HEAD) with repoURL $git_url ($(elapsed) s)"

# 2. Binaries on PATH: kubectl for bootstrap; Argo CD acts as the component its name says; the
# repo-server execs git-verify-wrapper.sh for every manifest generation (GPG disabled or not).
gomod="$(go env GOMODCACHE)"
argocd_version="$(cd "$here/go/argocd" && go list -m -f '{{.Version}}' github.com/argoproj/argo-cd/v3)"
kwok_version="$(basename "$(dirname "$KW")" | cut -d- -f2)" # the cache directory is kwok-<version>-<go>
ln -s "$KB/kubectl" "$tmp/bin/kubectl"
for c in argocd-application-controller argocd-repo-server argocd-applicationset-controller; do ln -s "$AB/argocd" "$tmp/bin/$c"; done
install -m 0755 "$gomod/github.com/argoproj/argo-cd/v3@$argocd_version/hack/git-verify-wrapper.sh" \
  "$gomod/github.com/argoproj/argo-cd/v3@$argocd_version/hack/gpg-wrapper.sh" "$tmp/bin/"
export PATH="$tmp/bin:$PATH"
stages="$gomod/sigs.k8s.io/kwok@$kwok_version/kustomize/stage"
for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
  echo '---'
  cat "$stages/$f"
done >"$tmp/kwok-stages.yaml"

# 3. Control plane (the flags of e2e/flags.ts), kwok and one fake node.
(cd "$repo_root" && node_modules/.bin/tsx -e "const p=require('./e2e/pki');p.writeKubeconfig('$tmp/kubeconfig',p.makePki('$tmp/pki'),6443)")
pki="$tmp/pki"
start etcd "$KB/etcd" --name=zt-e2e --data-dir="$tmp/etcd" --listen-client-urls=http://127.0.0.1:2379 \
  --advertise-client-urls=http://127.0.0.1:2379 --listen-peer-urls=http://127.0.0.1:2380 \
  --initial-advertise-peer-urls=http://127.0.0.1:2380 --initial-cluster=zt-e2e=http://127.0.0.1:2380 \
  --initial-cluster-state=new --unsafe-no-fsync --log-level=warn
start kube-apiserver "$KB/kube-apiserver" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port=6443 \
  --etcd-servers=http://127.0.0.1:2379 --client-ca-file="$pki/ca.crt" --tls-cert-file="$pki/apiserver.crt" \
  --tls-private-key-file="$pki/apiserver.key" --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --api-audiences=https://kubernetes.default.svc.cluster.local --endpoint-reconciler-type=none \
  --service-cluster-ip-range=10.96.0.0/16 --authorization-mode=RBAC --allow-privileged=true --profiling=false \
  --enable-aggregator-routing=true
export KUBECONFIG="$tmp/kubeconfig"
for _ in $(seq 120); do kubectl get --raw /readyz >/dev/null 2>&1 && break; sleep 1; done
start kube-controller-manager "$KB/kube-controller-manager" --kubeconfig="$KUBECONFIG" --secure-port=0 --leader-elect=false \
  --root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" --controllers='*' --profiling=false
start kube-scheduler "$KB/kube-scheduler" --kubeconfig="$KUBECONFIG" --secure-port=0 --leader-elect=false
start kwok "$KW/kwok" -c "$tmp/kwok-stages.yaml" --kubeconfig="$KUBECONFIG" --manage-all-nodes=true \
  --node-ip=127.0.0.1 --server-address=127.0.0.1:10247 --cidr=10.0.0.0/16
# ephemeral-storage: without it the scheduler refuses Pods that request some (Argo CD's do).
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/os: linux, kubernetes.io/arch: amd64, kubernetes.io/hostname: kwok-node-0, type: kwok}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "250", ephemeral-storage: 1Ti}
  capacity: {cpu: "32", memory: 256Gi, pods: "250", ephemeral-storage: 1Ti}
YAML
start redis redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no
start git-daemon git daemon --listen=127.0.0.1 --port=9418 --export-all --reuseaddr --base-path="$tmp/srv" "$tmp/srv"
echo "tier2: control plane, kwok, redis, git daemon up ($(elapsed) s)"

# 4. The project's own bootstrap, with infra outputs naming the local API server.
(cd "$repo_root" && node_modules/.bin/tsx -e "
const { clusterSecret } = require('./argocd/cluster-secret');
const name = 'dev-eu';
const secret = clusterSecret({ namespace: 'argocd', clusterLabel: 'zt-eks-gitops/environment' }, {
  environment: '$env', clusterName: name, accountId: '111122223333', region: 'eu-west-2', vpcId: 'vpc-0fake',
  externalSecrets: { namespace: 'external-secrets', serviceAccount: 'external-secrets', roleArn: 'arn:aws:iam::111122223333:role/fake' },
});
console.log(JSON.stringify({ environment: '$env', region: 'eu-west-2', cluster: { name, endpoint: 'https://127.0.0.1:6443' },
  bootstrap: { roleArn: 'arn:aws:iam::111122223333:role/fake', twingateGroup: 'fake', twingateResource: 'fake' },
  argocdClusterSecret: secret }));
") >"$tmp/outputs.json"
tb=$SECONDS
if ! (cd "$work" && node_modules/.bin/tsx lib/cli/bootstrap.ts --env "$env" --outputs "$tmp/outputs.json" --timeout 5m) >"$logs/bootstrap.log" 2>&1; then
  echo "tier2: bootstrap failed: $(tail -1 "$logs/bootstrap.log")"
  exit 1
fi
echo "tier2: pnpm bootstrap --env $env: done in $((SECONDS - tb)) s"

# 5. Argo CD as local processes, acting as the application controller's ServiceAccount (a token,
# not the admin certificate): its RBAC and the admission policies that name it apply as in the
# cluster. ARGOCD_FAKE_IN_CLUSTER makes the in-cluster destination (https://kubernetes.default.svc)
# use KUBECONFIG; without it every Application stays Unknown/Unknown (rest.InClusterConfig fails).
token="$(kubectl create token argocd-application-controller -n argocd --duration=24h)"
cat >"$tmp/argocd.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: zt-e2e, cluster: {server: "https://127.0.0.1:6443", certificate-authority: "$pki/ca.crt"}}]
users: [{name: argocd-application-controller, user: {token: "$token"}}]
contexts: [{name: zt-e2e, context: {cluster: zt-e2e, user: argocd-application-controller}}]
current-context: zt-e2e
KC
export ARGOCD_FAKE_IN_CLUSTER=true ARGOCD_GPG_ENABLED=false ARGOCD_CONTROLLER_REPLICAS=1 ARGOCD_CONTROLLER_SHARD=0
KUBECONFIG="$tmp/argocd.kubeconfig" start repo-server argocd-repo-server --address=127.0.0.1 --port=8081 \
  --metrics-address=127.0.0.1 --metrics-port=8084 --redis=127.0.0.1:6379
KUBECONFIG="$tmp/argocd.kubeconfig" start application-controller argocd-application-controller \
  --kubeconfig="$tmp/argocd.kubeconfig" --namespace=argocd --redis=127.0.0.1:6379 --repo-server=127.0.0.1:8081 \
  --metrics-port=8082 --status-processors=4 --operation-processors=4 --app-resync=30
KUBECONFIG="$tmp/argocd.kubeconfig" start applicationset-controller argocd-applicationset-controller --namespace=argocd \
  --metrics-addr=127.0.0.1:8085 --probe-addr=127.0.0.1:8086 --webhook-addr=127.0.0.1:7000 --argocd-repo-server=127.0.0.1:8081

# 6. cert-manager's webhook and controller as local processes, once Argo CD has created their
# Deployments and kwok has given their Pods an IP: the Pod IP goes on `lo`, and the API server,
# which dials endpoint addresses (--enable-aggregator-routing), reaches the webhook there. Each
# runs on a token of its own ServiceAccount. The caBundle that cert-manager's cainjector (not
# run) would inject is copied from the webhook's CA Secret.
# sa_kubeconfig <namespace> <serviceaccount> <file>
sa_kubeconfig() {
  local t
  t="$(kubectl create token "$2" -n "$1" --duration=24h)" || return 1
  cat >"$3" <<KC
apiVersion: v1
kind: Config
clusters: [{name: zt-e2e, cluster: {server: "https://127.0.0.1:6443", certificate-authority: "$pki/ca.crt"}}]
users: [{name: $2, user: {token: "$t"}}]
contexts: [{name: zt-e2e, context: {cluster: zt-e2e, user: $2}}]
current-context: zt-e2e
KC
}
# pod_ips <namespace> <label selector>: the IPs of its Running Pods, one a line.
pod_ips() { kubectl get pods -n "$1" -l "$2" --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' 2>/dev/null || true; }
cm_webhook='' cm_controller='' cm_cabundle=''
cert_manager_step() {
  local ip ca kind
  # Every replica's IP (the Service's endpoints list them all), also of Pods created later; the
  # one process listens on every address of the namespace's loopback-only stack.
  for ip in $(pod_ips cert-manager app.kubernetes.io/component=webhook,app.kubernetes.io/instance=cert-manager); do
    ip addr replace "$ip/32" dev lo
  done
  if [ -z "$cm_webhook" ]; then
    ip="$(pod_ips cert-manager app.kubernetes.io/component=webhook,app.kubernetes.io/instance=cert-manager | head -1)"
    if [ -n "$ip" ] && sa_kubeconfig cert-manager cert-manager-webhook "$tmp/cm-webhook.kubeconfig"; then
      start cert-manager-webhook "$CM/cert-manager-webhook" --kubeconfig="$tmp/cm-webhook.kubeconfig" --v=2 \
        --secure-port=10250 --healthz-port=6080 --metrics-listen-address=0 \
        --dynamic-serving-ca-secret-namespace=cert-manager --dynamic-serving-ca-secret-name=cert-manager-webhook-ca \
        --dynamic-serving-dns-names=cert-manager-webhook,cert-manager-webhook.cert-manager,cert-manager-webhook.cert-manager.svc
      cm_webhook="$ip"
      echo "tier2: cert-manager webhook started on port 10250 of $(pod_ips cert-manager app.kubernetes.io/component=webhook,app.kubernetes.io/instance=cert-manager | paste -sd, -) ($(elapsed) s)"
    fi
  fi
  if [ -n "$cm_webhook" ] && [ -z "$cm_cabundle" ]; then
    ca="$(kubectl get secret -n cert-manager cert-manager-webhook-ca -o jsonpath='{.data.ca\.crt}' 2>/dev/null || true)"
    if [ -n "$ca" ]; then
      for kind in validatingwebhookconfiguration mutatingwebhookconfiguration; do
        kubectl patch "$kind" cert-manager-webhook --type=json \
          -p "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$ca\"}]" >/dev/null
      done
      cm_cabundle=1
      echo "tier2: cert-manager webhook caBundle injected ($(elapsed) s)"
    fi
  fi
  if [ -z "$cm_controller" ]; then
    ip="$(pod_ips cert-manager app.kubernetes.io/component=controller,app.kubernetes.io/instance=cert-manager | head -1)"
    if [ -n "$ip" ] && sa_kubeconfig cert-manager cert-manager "$tmp/cm-controller.kubeconfig"; then
      start cert-manager-controller "$CM/cert-manager-controller" --kubeconfig="$tmp/cm-controller.kubeconfig" \
        --cluster-resource-namespace=cert-manager
      cm_controller=1
      echo "tier2: cert-manager controller started ($(elapsed) s)"
    fi
  fi
}

# 7. Wait: one line per Application when it first is Synced and Healthy, until every expected
# one (root, the environment's parent, each child Application rendered for it) is, or the timeout.
expected=(root dev-eu)
for f in "$work/dist/argocd/$env"/application.argocd.*.yaml; do
  f="${f##*/application.argocd.}"
  expected+=("${f%.yaml}")
done
ta=$SECONDS
declare -A done_at=()
: >"$logs/times"
while :; do
  sleep 5
  cert_manager_step
  list="$(kubectl get applications -n argocd -o jsonpath='{range .items[*]}{.metadata.name} {.status.sync.status} {.status.health.status}{"\n"}{end}' 2>/dev/null || true)"
  declare -A now=()
  while read -r app sync health; do
    [ -n "$app" ] || continue
    now[$app]="$sync $health"
    if [ "$sync $health" = 'Synced Healthy' ] && [ -z "${done_at[$app]:-}" ]; then
      done_at[$app]=$((SECONDS - ta))
      echo "$app ${done_at[$app]}" >>"$logs/times"
      echo "tier2: $app: Synced Healthy after ${done_at[$app]} s"
    fi
  done <<<"$list"
  all=1
  for app in "${expected[@]}" "${!now[@]}"; do [ "${now[$app]:-}" = 'Synced Healthy' ] || all=''; done
  unset now
  [ -z "$all" ] || break
  [ $((SECONDS - ta)) -lt "$timeout" ] || break
done
[ -n "$all" ] && echo "tier2: converged in $((SECONDS - ta)) s after Argo CD started ($(elapsed) s in all)" ||
  echo "tier2: not converged after $timeout s"
kubectl get applications,applicationsets,appprojects -n argocd -o yaml >"$logs/argocd-objects.yaml" 2>&1 || true
echo "tier2: cert-manager's objects:"
kubectl get clusterissuers,certificates,certificaterequests -A 2>&1 | sed 's/^/  /' || true
# The verdict (e2e/convergence.ts): one line per Application, then `tier2: N passed, N failed`.
kubectl get applications -n argocd -o json | (cd "$repo_root" && node_modules/.bin/tsx e2e/convergence.ts "$logs/times" "${expected[@]}")
