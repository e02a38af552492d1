//go:build tools

// The command this module builds; the build tag keeps this file out of the binary.
package tools

import _ "github.com/argoproj/argo-cd/v3/cmd"
