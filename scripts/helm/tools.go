//go:build tools

// Helm 3, the package manager the original platform's users install with: the chart's
// tests (`helm lint`, `helm template`) run this exact version. Only its module is
// required here; scripts/helm/install builds its command.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
