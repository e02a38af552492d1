// The cert-manager controller for tier 2 of `pnpm e2e`: the control loops a CA and a
// self-signed ClusterIssuer need (issuer status, Certificate to CertificateRequest to Secret,
// approval), built from cert-manager's own controller packages. Not cert-manager's cmd/controller
// (absent from its module zip): no leader election, ACME, Vault, Venafi, ingress or Gateway shims,
// which the platform's issuers do not use.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	controllerpkg "github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"

	// Each registers its control loop (controllerpkg.Register) or issuer backend in init().
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// The loops started, by their registered names.
var loops = []string{
	"issuers", "clusterissuers",
	"certificates-trigger", "certificates-key-manager", "certificates-request-manager",
	"certificates-issuing", "certificates-readiness", "certificates-revision-manager",
	"certificaterequests-approver", "certificaterequests-issuer-ca", "certificaterequests-issuer-selfsigned",
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "error: cert-manager controller: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server")
	clusterNS := flag.String("cluster-resource-namespace", "cert-manager", "namespace of the Secrets ClusterIssuers read")
	flag.Parse()
	logf.InitLogs()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx = logf.NewContext(ctx, logf.Log)

	opts := controllerpkg.ContextOptions{
		Kubeconfig:         *kubeconfig,
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		IssuerOptions:      controllerpkg.IssuerOptions{ClusterResourceNamespace: *clusterNS},
		CertificateOptions: controllerpkg.CertificateOptions{
			// cert-manager's defaults (internal/apis/config/controller/v1alpha1).
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
	}
	factory, err := controllerpkg.NewContextFactory(ctx, opts)
	if err != nil {
		return err
	}
	var started []controllerpkg.Interface
	for _, name := range loops {
		newLoop, ok := controllerpkg.Known()[name]
		if !ok {
			return fmt.Errorf("no control loop %q registered", name)
		}
		loop, err := newLoop(factory)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		started = append(started, loop)
	}
	// The informers every loop registered above, shared through the factory's context.
	shared, err := factory.Build()
	if err != nil {
		return err
	}
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.SharedInformerFactory.Start(ctx.Done())
	var wg sync.WaitGroup
	for i, loop := range started {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := loop.Run(5, ctx); err != nil {
				fmt.Fprintf(os.Stderr, "error: %s: %v\n", loops[i], err)
			}
		}()
	}
	wg.Wait()
	return nil
}
