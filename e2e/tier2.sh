#!/usr/bin/env bash
# Tier 2 of `pnpm e2e` (docs/e2e.md, "Tier 2"): one environment (default dev) under real Argo CD.
# Starts, in a network namespace with only a loopback interface, a fresh control plane (etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler), kwok with one fake node (Pods become
# Running and Ready without a container runtime), redis-server, `git daemon` serving a clone of
# HEAD re-synthed with its repoURL on the loopback remote, and Argo CD's application-controller,
# repo-server and applicationset-controller as local processes, and cert-manager's webhook and
# controller (e2e/go/cert-manager) and External Secrets' cert controller, webhook and controller
# (e2e/go/external-secrets, reading an e2e-only fake store: e2e/fake-store.ts) at their kwok Pods'
# IPs, and a volume for each Pending claim (as the EBS CSI driver would provision); runs `pnpm bootstrap --env <env>` itself, then prints every Application's sync/health
# status until all are Synced and Healthy or the timeout passes, with the seconds each took. Then
# checks every ExternalSecret's Secret, deletes a component and then the environment in git and
# checks that Argo CD prunes them completely (nothing left, nothing stuck on a finalizer). The
# verdict (e2e/convergence.ts): one line per Application and check, `tier2: N passed, N failed`;
# exit 0 when all passed, 1 otherwise.
#
# Usage: e2e/tier2.sh [--env <env>] [--timeout <seconds, default 600>]
# (`pnpm e2e --tier 2` runs it.) Needs: the binaries of e2e/build.sh (kubernetes, argocd, kwok,
# cert-manager, external-secrets) and their Go module cache (Argo CD's hack/ scripts and kwok's
# stages are taken from it), git, redis-server, openssl.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"
timeout=600
env=dev
while [ $# -gt 0 ]; do
  case "$1" in
  --env) env="${2:?--env needs a value}"; shift 2 ;;
  --timeout) timeout="${2:?--timeout needs a value}"; shift 2 ;;
  *) echo "error: e2e/tier2.sh: unknown argument '$1' (expected --env <env> or --timeout <seconds>)" >&2; exit 2 ;;
  esac
done
case "$timeout" in '' | *[!0-9]*) echo "error: e2e/tier2.sh: --timeout must be a number of seconds, got '$timeout'" >&2; exit 2 ;; esac
# Placeholder repoURL for synth (argocd/settings.ts accepts https and ssh only), replaced in the
# rendered tree by the git:// URL of the loopback daemon.
placeholder='https://git.zt-e2e.invalid/zt-eks-gitops.git'
git_url='git://127.0.0.1:9418/repo'

if [ -z "${ZT_E2E_TIER2_ISOLATED:-}" ]; then
  # Built with network, outside the namespace.
  kb="$("$here/build.sh" kubernetes)"
  ab="$("$here/build.sh" argocd)"
  kw="$("$here/build.sh" kwok)"
  cm="$("$here/build.sh" cert-manager)"
  es="$("$here/build.sh" external-secrets)"
  # Argo CD's hack/ scripts and kwok's stages are read from the Go module cache inside the
  # namespace, which has no network: fetch both now (nothing to do when they are there).
  (cd "$here/go/argocd" && go mod download github.com/argoproj/argo-cd/v3)
  go mod download "sigs.k8s.io/kwok@$(basename "$(dirname "$kw")" | cut -d- -f2)"
  [ -d "$repo_root/dist/$env" ] || { echo "error: e2e/tier2.sh: --env $env: no dist/$env (run pnpm synth)" >&2; exit 2; }
  export ZT_E2E_TIER2_ISOLATED=1 KB="$kb" AB="$ab" KW="$kw" CM="$cm" ES="$es"
  if [ "$(id -u)" = 0 ]; then userns=(); else userns=(--user --map-root-user); fi
  exec unshare "${userns[@]}" --net --fork --kill-child=SIGTERM -- sh -c 'ip link set lo up && exec "$@"' sh "$0" --env "$env" --timeout "$timeout"
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
# The e2e-only secret store: the environment's ClusterSecretStores read the fake provider.
(cd "$repo_root" && node_modules/.bin/tsx e2e/fake-store.ts "$work/dist" "$env")
git -C "$work" add -A dist argocd/config.ts
commit() { git -C "$work" -c user.email=e2e@zt-e2e.invalid -c user.name=zt-e2e commit -qm "$1"; }
commit 'e2e: loopback repoURL, fake secret store'
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

# 3. Control plane (the flags of e2e/flags.ts), kwok and one fake node. Unlike tier 1, each
# controller of kube-controller-manager acts as its own ServiceAccount, as on EKS: the admission
# policies name some of them (the garbage collector, the namespace controller).
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
  --root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" --controllers='*' --profiling=false \
  --use-service-account-credentials=true
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
# Webhooks of several components serve on port 10250 of their Pods: each runs on a port of its
# own and e2e/forward.ts forwards each Pod IP's 10250 to it (route <ip>:10250 <local port>).
: >"$tmp/routes"
(cd "$repo_root" && start forward node_modules/.bin/tsx e2e/forward.ts "$tmp/routes")
route() { grep -qxF "$1 $2" "$tmp/routes" || echo "$1 $2" >>"$tmp/routes"; }
echo "tier2: control plane, kwok, redis, git daemon, forwarder up ($(elapsed) s)"

# 4. The project's own bootstrap, with infra outputs naming the local API server. The cluster's
# name is the one the environment's Applications name as their destination.
cluster="$(sed -n 's/^    name: \(.*\)$/\1/p' "$work/dist/argocd/$env/"application.argocd.*-namespaces.yaml | head -1)"
[ -n "$cluster" ] || { echo "tier2: no destination cluster found in dist/argocd/$env"; exit 1; }
(cd "$repo_root" && node_modules/.bin/tsx -e "
const { clusterSecret } = require('./argocd/cluster-secret');
const name = process.argv[1];
const secret = clusterSecret({ namespace: 'argocd', clusterLabel: 'zt-eks-gitops/environment' }, {
  environment: '$env', clusterName: name, accountId: '111122223333', region: 'eu-west-2', vpcId: 'vpc-0fake',
  externalSecrets: { namespace: 'external-secrets', serviceAccount: 'external-secrets', roleArn: 'arn:aws:iam::111122223333:role/fake' },
});
console.log(JSON.stringify({ environment: '$env', region: 'eu-west-2', cluster: { name, endpoint: 'https://127.0.0.1:6443' },
  bootstrap: { roleArn: 'arn:aws:iam::111122223333:role/fake', twingateGroup: 'fake', twingateResource: 'fake' },
  argocdClusterSecret: secret }));
" "$cluster") >"$tmp/outputs.json"
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
    route "$ip:10250" 10252
  done
  if [ -z "$cm_webhook" ]; then
    ip="$(pod_ips cert-manager app.kubernetes.io/component=webhook,app.kubernetes.io/instance=cert-manager | head -1)"
    if [ -n "$ip" ] && sa_kubeconfig cert-manager cert-manager-webhook "$tmp/cm-webhook.kubeconfig"; then
      start cert-manager-webhook "$CM/cert-manager-webhook" --kubeconfig="$tmp/cm-webhook.kubeconfig" --v=2 \
        --secure-port=10252 --healthz-port=6080 --metrics-listen-address=0 \
        --dynamic-serving-ca-secret-namespace=cert-manager --dynamic-serving-ca-secret-name=cert-manager-webhook-ca \
        --dynamic-serving-dns-names=cert-manager-webhook,cert-manager-webhook.cert-manager,cert-manager-webhook.cert-manager.svc
      cm_webhook="$ip"
      echo "tier2: cert-manager webhook started, port 10250 of $(pod_ips cert-manager app.kubernetes.io/component=webhook,app.kubernetes.io/instance=cert-manager | paste -sd, -) ($(elapsed) s)"
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

# 6b. External Secrets the same way: its cert controller (the webhook's certificate into the
# Secret the chart renders empty, the caBundle into the webhook configurations), then the
# webhook on that certificate (port 10251, each replica's 10250 forwarded), then the controller
# (e2e/go/external-secrets: the reconcilers of the kinds whose CRDs the platform installs).
es_cert_controller='' es_webhook='' es_controller=''
external_secrets_step() {
  local ip
  for ip in $(pod_ips external-secrets app.kubernetes.io/name=external-secrets-webhook,app.kubernetes.io/instance=external-secrets); do
    ip addr replace "$ip/32" dev lo
    route "$ip:10250" 10251
  done
  if [ -z "$es_cert_controller" ] && [ -n "$(pod_ips external-secrets app.kubernetes.io/name=external-secrets-cert-controller)" ] &&
    sa_kubeconfig external-secrets external-secrets-cert-controller "$tmp/es-cert-controller.kubeconfig"; then
    KUBECONFIG="$tmp/es-cert-controller.kubeconfig" start es-cert-controller "$ES/external-secrets" certcontroller \
      --crd-requeue-interval=5m --service-name=external-secrets-webhook --service-namespace=external-secrets \
      --secret-name=external-secrets-webhook --secret-namespace=external-secrets --metrics-addr=0 \
      --healthz-addr=127.0.0.1:18091 --enable-leader-election=false
    es_cert_controller=1
    echo "tier2: external-secrets cert controller started ($(elapsed) s)"
  fi
  if [ -z "$es_webhook" ] && [ -n "$es_cert_controller" ]; then
    mkdir -p "$tmp/es-certs"
    local f ok=1
    for f in tls.crt tls.key ca.crt; do
      kubectl get secret -n external-secrets external-secrets-webhook -o jsonpath="{.data.${f//./\\.}}" 2>/dev/null | base64 -d >"$tmp/es-certs/$f" 2>/dev/null || ok=''
      [ -s "$tmp/es-certs/$f" ] || ok=''
    done
    if [ -n "$ok" ] && sa_kubeconfig external-secrets external-secrets-webhook "$tmp/es-webhook.kubeconfig"; then
      KUBECONFIG="$tmp/es-webhook.kubeconfig" start es-webhook "$ES/external-secrets" webhook --port=10251 \
        --dns-name=external-secrets-webhook.external-secrets.svc --cert-dir="$tmp/es-certs" --check-interval=5m \
        --metrics-addr=0 --healthz-addr=127.0.0.1:18092
      es_webhook=1
      echo "tier2: external-secrets webhook started, port 10250 of $(pod_ips external-secrets app.kubernetes.io/name=external-secrets-webhook | paste -sd, -) ($(elapsed) s)"
    fi
  fi
  if [ -z "$es_controller" ] && [ -n "$(pod_ips external-secrets app.kubernetes.io/name=external-secrets,app.kubernetes.io/instance=external-secrets)" ] &&
    sa_kubeconfig external-secrets external-secrets "$tmp/es-controller.kubeconfig"; then
    KUBECONFIG="$tmp/es-controller.kubeconfig" start es-controller "$ES/external-secrets-controller"
    es_controller=1
    echo "tier2: external-secrets controller started ($(elapsed) s)"
  fi
}

# 6c. Volumes: no CSI driver runs here (kwok has no kubelet to mount anything), so a Pending claim
# gets a PersistentVolume made for it, bound to it by claimRef, in the claim's StorageClass, as
# the EBS CSI driver would provision one on EKS. A claim without a class stays Pending, as it
# would on a new EKS cluster (no default StorageClass).
declare -A pv_made=()
volumes_step() {
  local ns name size sc
  while read -r ns name size sc; do
    [ -n "$sc" ] && [ -z "${pv_made[$ns/$name]:-}" ] || continue
    kubectl apply -f - >/dev/null <<YAML && pv_made[$ns/$name]=1 && echo "tier2: volume for claim $ns/$name ($sc, $size) ($(elapsed) s)"
apiVersion: v1
kind: PersistentVolume
metadata: {name: "e2e-$ns-$name", labels: {zt-e2e/provisioned-for: "$ns.$name"}}
spec:
  capacity: {storage: "$size"}
  accessModes: [ReadWriteOnce]
  storageClassName: "$sc"
  persistentVolumeReclaimPolicy: Retain
  claimRef: {namespace: "$ns", name: "$name"}
  hostPath: {path: "$tmp/volumes/$ns-$name"}
YAML
  done < <(kubectl get pvc -A -o jsonpath='{range .items[?(@.status.phase=="Pending")]}{.metadata.namespace} {.metadata.name} {.spec.resources.requests.storage} {.spec.storageClassName}{"\n"}{end}' 2>/dev/null || true)
}

# 7. Wait: one line per Application when it first is Synced and Healthy, until every expected
# one (root, the environment's parent, each child Application rendered for it) is, or the timeout.
expected=(root "$cluster")
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
  external_secrets_step
  volumes_step
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
kubectl get applications -n argocd -o json >"$tmp/applications.json"
echo "tier2: cert-manager's objects:"
kubectl get clusterissuers,certificates,certificaterequests -A 2>&1 | sed 's/^/  /' || true
expect() { (cd "$repo_root" && node_modules/.bin/tsx e2e/expect.ts "$@"); }
: >"$logs/checks"

# 8. Every ExternalSecret's Secret exists with the keys it declares (synced from the fake store).
while read -r ns name keys; do
  [ -n "$ns" ] || continue
  have="$(kubectl get secret -n "$ns" "$name" -o go-template='{{range $k, $v := .data}}{{$k}},{{end}}' 2>/dev/null || true)"
  missing=''
  for k in ${keys//,/ }; do case ",$have" in *",$k,"*) ;; *) missing+=" $k" ;; esac; done
  if [ -z "$have" ]; then echo "FAIL secret $ns/$name: not created" >>"$logs/checks"
  elif [ -n "$missing" ]; then echo "FAIL secret $ns/$name: missing key(s)$missing" >>"$logs/checks"
  else echo "PASS secret $ns/$name: synced by External Secrets (${keys//,/, })" >>"$logs/checks"; fi
done < <(expect secrets "$work/dist" "$env")

# gone <deadline seconds> <objects file>: waits until no object of the file exists; prints what is left.
gone() {
  local until=$((SECONDS + $1)) left
  while :; do
    left="$(while read -r type ns name; do
      if [ "$ns" = - ]; then kubectl get "$type" "$name" -o name 2>/dev/null; else kubectl get "$type" -n "$ns" "$name" -o name 2>/dev/null; fi
    done <"$2" || true)"
    [ -n "$left" ] || return 0
    [ "$SECONDS" -lt "$until" ] || { echo "$left"; return 1; }
    sleep 5
  done
}
# stuck: objects being deleted that a finalizer holds, as `<kind>/<name> (<finalizers>)`.
stuck() {
  local types
  types="$(kubectl api-resources --verbs=list -o name 2>/dev/null | grep -v '^events' | paste -sd, -)"
  kubectl get "$types" -A -o go-template='{{range .items}}{{if .metadata.deletionTimestamp}}{{.kind}}/{{.metadata.name}} ({{range .metadata.finalizers}}{{.}} {{end}}){{"\n"}}{{end}}{{end}}' 2>/dev/null || true
}
# push <message>: commits the served copy and pushes it; Argo CD is told to look now (a hard
# refresh of root and the environment's parent) instead of at its next poll.
push() {
  commit "$1"
  git -C "$work" push -q "$tmp/srv/repo.git" HEAD:main
  kubectl annotate applications -n argocd root "$cluster" argocd.argoproj.io/refresh=hard --overwrite >/dev/null 2>&1 || true
}

if [ -n "$all" ]; then
  # 9. Delete a component in git: Argo CD prunes its Application, which deletes its objects.
  leaf="$(expect leaf "$work/dist" "$env")"
  expect objects "$work/dist" "$env" "$leaf" >"$tmp/leaf-objects"
  git -C "$work" rm -rq "dist/$env/$leaf" "dist/argocd/$env/application.argocd.$cluster-$leaf.yaml"
  td=$SECONDS
  push "e2e: delete component $leaf"
  if left="$(gone 300 "$tmp/leaf-objects")"; then
    echo "PASS prune component $leaf: its Application and $(grep -vc '^application\.' "$tmp/leaf-objects") objects deleted after $((SECONDS - td)) s" >>"$logs/checks"
  else
    echo "FAIL prune component $leaf: left after 300 s: $(echo "$left" | paste -sd' ' -) $(stuck | paste -sd' ' -)" >>"$logs/checks"
  fi
  # 10. Delete the environment in git, as docs/argocd.md describes: the root prunes its
  # ApplicationSet (which deletes its parent Application, which deletes the children and each of
  # those its objects) and its AppProjects (whose finalizer holds each while an Application still
  # references it). Kept by design: the children rendered Delete=false (Argo CD itself, its
  # namespace), their objects, and the project they reference.
  expect objects "$work/dist" "$env" >"$tmp/env-objects"
  expect kept "$work/dist" "$env" >"$tmp/kept"
  echo "applicationset.v1alpha1.argoproj.io argocd $env" >>"$tmp/env-objects"
  echo "application.v1alpha1.argoproj.io argocd $cluster" >>"$tmp/env-objects"
  projects=()
  for f in "$work/dist/argocd/appproject.argocd.$env-"*.yaml; do f="${f##*/appproject.argocd.}"; projects+=("${f%.yaml}"); done
  for p in "${projects[@]}"; do
    grep -q " $p\$" "$tmp/kept" || echo "appproject.v1alpha1.argoproj.io argocd $p" >>"$tmp/env-objects"
  done
  git -C "$work" rm -rq "dist/$env" "dist/argocd/$env" "dist/argocd/applicationset.argocd.$env.yaml"
  git -C "$work" rm -q "$work/dist/argocd/appproject.argocd.$env-"*.yaml
  td=$SECONDS
  push "e2e: delete environment $env"
  if left="$(gone 420 "$tmp/env-objects")"; then
    echo "PASS prune environment $env: its ApplicationSet, $(grep -c '^application\.' "$tmp/env-objects") Applications, $(grep -c '^appproject\.' "$tmp/env-objects") AppProjects and $(grep -vc '^app' "$tmp/env-objects") objects deleted after $((SECONDS - td)) s" >>"$logs/checks"
  else
    echo "FAIL prune environment $env: left after 420 s: $(echo "$left" | head -20 | paste -sd' ' -) $(stuck | head -20 | paste -sd' ' -)" >>"$logs/checks"
  fi
  # What a finalizer holds now must be exactly the kept children's projects.
  held="$(stuck | sort)"
  want="$(cut -d' ' -f2 "$tmp/kept" | sort -u | sed 's#^\(.*\)$#AppProject/\1 (resources-finalizer.argocd.argoproj.io )#')"
  if [ "$held" = "$want" ]; then echo "PASS after the deletion only the kept Applications' project waits on its finalizer: $(echo "$held" | cut -d' ' -f1 | paste -sd' ' -)" >>"$logs/checks"
  else echo "FAIL held by a finalizer: $(echo "$held" | paste -sd' ' -); expected: $(echo "$want" | paste -sd' ' -)" >>"$logs/checks"; fi
  # 11. The teardown's last step (docs/argocd.md): delete the kept Applications (no resources
  # finalizer: their objects stay with the cluster); then their project goes and nothing is held.
  if [ -s "$tmp/kept" ]; then
    kubectl delete applications -n argocd $(cut -d' ' -f1 "$tmp/kept") --wait=false >/dev/null
    : >"$tmp/kept-objects"
    for p in $(cut -d' ' -f2 "$tmp/kept" | sort -u); do echo "appproject.v1alpha1.argoproj.io argocd $p" >>"$tmp/kept-objects"; done
    for a in $(cut -d' ' -f1 "$tmp/kept"); do echo "application.v1alpha1.argoproj.io argocd $a" >>"$tmp/kept-objects"; done
    td=$SECONDS
    if left="$(gone 120 "$tmp/kept-objects")" && [ -z "$(stuck)" ]; then
      echo "PASS teardown: the kept Applications deleted by hand, their project released after $((SECONDS - td)) s, no finalizer holds an object; Argo CD's namespace stays: $(kubectl get namespace argocd -o name)" >>"$logs/checks"
    else
      echo "FAIL teardown: left after 120 s: $(echo "$left" | paste -sd' ' -) $(stuck | paste -sd' ' -)" >>"$logs/checks"
    fi
  fi
fi

# The verdict (e2e/convergence.ts): one line per Application (as converged, before the
# deletions) and per check, then `tier2: N passed, N failed`.
(cd "$repo_root" && node_modules/.bin/tsx e2e/convergence.ts "$logs/times" --checks "$logs/checks" "${expected[@]}") <"$tmp/applications.json"
