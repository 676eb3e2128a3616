{{/*
The platform namespace: storectl's own (platform.namespace of its configuration, named in
the admission policy and in platform.writers), so the release must be installed there.
*/}}
{{- define "storectl.namespace" -}}
{{- if ne .Release.Namespace "ecommerce-platform" -}}
{{- fail (printf "storectl's platform namespace is ecommerce-platform (platform.namespace, named in its admission policy and platform.writers): install with --namespace ecommerce-platform, not %s" .Release.Namespace) -}}
{{- end -}}
{{- .Release.Namespace -}}
{{- end -}}

{{/* The image: repository:tag (the chart's appVersion by default), or @digest. */}}
{{- define "storectl.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* The names the server's certificate must carry: the Service's, and the Ingress host. */}}
{{- define "storectl.dnsNames" -}}
{{- $ns := include "storectl.namespace" . -}}
{{- $names := list (printf "storectl.%s.svc" $ns) (printf "storectl.%s.svc.cluster.local" $ns) -}}
{{- if and .Values.ingress.enabled .Values.ingress.host -}}
{{- $names = append $names .Values.ingress.host -}}
{{- end -}}
{{- toJson (concat $names .Values.tls.certManager.extraDnsNames) -}}
{{- end -}}
