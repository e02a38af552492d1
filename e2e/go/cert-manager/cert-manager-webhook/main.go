// The cert-manager webhook, as cert-manager's cmd/webhook runs it, for tier 2 of `pnpm e2e`:
// flags of pkg/webhook/options, then the server of internal/webhook until SIGTERM.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	cmwebhook "github.com/cert-manager/cert-manager/internal/webhook"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/webhook/options"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "error: cert-manager webhook: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := options.NewWebhookConfiguration()
	if err != nil {
		return err
	}
	fs := pflag.NewFlagSet("cert-manager-webhook", pflag.ExitOnError)
	options.AddConfigFlags(fs, cfg)
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	logf.InitLogs()
	// The server is controller-runtime's: its log goes to the same klog output.
	ctrllog.SetLogger(logf.Log)
	srv, err := cmwebhook.NewCertManagerWebhookServer(logf.Log, *cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return srv.Run(ctx)
}
