//go:build tools

// Package tools pins the Go programs `npm run tools` builds, so `go mod tidy` keeps their modules.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
