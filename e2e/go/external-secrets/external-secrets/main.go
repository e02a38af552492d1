// External Secrets' own command (cmd/controller of v0.16.2): tier 2 runs its `webhook` and
// `certcontroller` subcommands as the chart's Deployments do.
package main

import "github.com/external-secrets/external-secrets/cmd/controller"

func main() {
	controller.Execute()
}
