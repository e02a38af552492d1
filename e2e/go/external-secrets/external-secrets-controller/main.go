// The External Secrets controller for tier 2 of `pnpm e2e`: the reconcilers of the kinds the
// platform installs CRDs for (SecretStore, ClusterSecretStore, ExternalSecret,
// ClusterExternalSecret), wired as ESO's cmd/controller root command does. Not that command
// itself: v0.16.2 also watches GeneratorState (and PushSecret unless told not to), whose CRDs the
// platform does not install (chart 2.9.0 checks for them; v0.16.2 fails to start without them).
package main

import (
	"flag"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/server"

	esv1 "github.com/external-secrets/external-secrets/apis/externalsecrets/v1"
	genv1alpha1 "github.com/external-secrets/external-secrets/apis/generators/v1alpha1"
	"github.com/external-secrets/external-secrets/pkg/controllers/clusterexternalsecret"
	"github.com/external-secrets/external-secrets/pkg/controllers/clusterexternalsecret/cesmetrics"
	ctrlcommon "github.com/external-secrets/external-secrets/pkg/controllers/common"
	"github.com/external-secrets/external-secrets/pkg/controllers/externalsecret"
	"github.com/external-secrets/external-secrets/pkg/controllers/externalsecret/esmetrics"
	ctrlmetrics "github.com/external-secrets/external-secrets/pkg/controllers/metrics"
	"github.com/external-secrets/external-secrets/pkg/controllers/secretstore"
	"github.com/external-secrets/external-secrets/pkg/controllers/secretstore/cssmetrics"
	"github.com/external-secrets/external-secrets/pkg/controllers/secretstore/ssmetrics"
)

func main() {
	metricsAddr := flag.String("metrics-addr", "0", "metrics address (0: off)")
	flag.Parse()
	ctrl.SetLogger(zap.New())
	log := ctrl.Log.WithName("setup")

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(esv1.AddToScheme(scheme))
	utilruntime.Must(genv1alpha1.AddToScheme(scheme))

	ctrlmetrics.SetUpLabelNames(false)
	esmetrics.SetUpMetrics()
	ssmetrics.SetUpMetrics()
	cssmetrics.SetUpMetrics()
	cesmetrics.SetUpMetrics()

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:  scheme,
		Metrics: server.Options{BindAddress: *metricsAddr},
		// As the chart's default: Secrets and ConfigMaps are read live, not cached cluster-wide.
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}, &corev1.ConfigMap{}}}},
	})
	if err != nil {
		log.Error(err, "unable to start manager")
		os.Exit(1)
	}
	opts := controller.Options{MaxConcurrentReconciles: 1, RateLimiter: ctrlcommon.BuildRateLimiter()}
	ctrlLog := ctrl.Log.WithName("controllers")
	setups := []struct {
		name  string
		setup func() error
	}{
		{"SecretStore", func() error {
			return (&secretstore.StoreReconciler{Client: mgr.GetClient(), Log: ctrlLog.WithName("SecretStore"), Scheme: scheme,
				ControllerClass: "default", RequeueInterval: 5 * time.Minute}).SetupWithManager(mgr, opts)
		}},
		{"ClusterSecretStore", func() error {
			return (&secretstore.ClusterStoreReconciler{Client: mgr.GetClient(), Log: ctrlLog.WithName("ClusterSecretStore"), Scheme: scheme,
				ControllerClass: "default", RequeueInterval: 5 * time.Minute}).SetupWithManager(mgr, opts)
		}},
		{"ExternalSecret", func() error {
			return (&externalsecret.Reconciler{Client: mgr.GetClient(), SecretClient: mgr.GetClient(), Log: ctrlLog.WithName("ExternalSecret"),
				Scheme: scheme, RestConfig: mgr.GetConfig(), ControllerClass: "default", RequeueInterval: time.Hour,
				ClusterSecretStoreEnabled: true, EnableFloodGate: true}).SetupWithManager(mgr, opts)
		}},
		{"ClusterExternalSecret", func() error {
			return (&clusterexternalsecret.Reconciler{Client: mgr.GetClient(), Log: ctrlLog.WithName("ClusterExternalSecret"),
				Scheme: scheme, RequeueInterval: time.Hour}).SetupWithManager(mgr, opts)
		}},
	}
	for _, s := range setups {
		if err := s.setup(); err != nil {
			log.Error(err, "unable to create controller", "controller", s.name)
			os.Exit(1)
		}
	}
	log.Info("starting manager")
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "problem running manager")
		os.Exit(1)
	}
}
