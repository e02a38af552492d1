// etcd at the exact server version kube-apiserver v1.34.4 is built against (go.etcd.io/etcd/server/v3
// v3.6.4), so the e2e control plane needs no etcd package from the OS.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
