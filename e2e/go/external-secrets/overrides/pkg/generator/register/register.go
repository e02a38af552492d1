// Package register, replaced for tier 2 of `pnpm e2e` by e2e/build.sh: only the fake generator,
// which the e2e-only ClusterSecretStore uses (the AWS API is not reachable from the test).
package register

import (
	_ "github.com/external-secrets/external-secrets/pkg/generator/fake"
)
