//go:build tools

// Package kubernetes names the two commands scripts/control-plane builds from this
// module, so that `go mod tidy` keeps everything they need.
package kubernetes

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
