{{- define "nbaccess.name" -}}netbird-access-operator{{- end -}}
{{- define "nbaccess.fullname" -}}
{{- if contains "netbird-access-operator" .Release.Name -}}{{ .Release.Name | trunc 63 }}{{- else -}}{{ printf "%s-netbird-access-operator" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}
{{- define "nbaccess.labels" -}}
app.kubernetes.io/name: {{ include "nbaccess.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
{{- define "nbaccess.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nbaccess.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "nbaccess.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}
{{/* Where an optional monitoring object goes: its own namespace value or the release's. */}}
{{- define "nbaccess.monitoringNamespace" -}}
{{- .namespace | default .root.Release.Namespace -}}
{{- end -}}
{{/*
What the operator does in a namespace it watches, and nothing more: reads and patches our
five kinds (finalizer, annotations, status), gets/creates/patches the Secrets that setup
keys publish (by name: it never lists them), deletes a deleted setup key's Secret (else the
garbage collector does, through its owner reference) and the one a changed secretName leaves
behind, and posts events.
The e2e test tests/e2e/rbac compares these verbs with what the apiserver's audit log saw.
*/}}
{{- define "nbaccess.namespacedRules" -}}
- apiGroups: [nbaccess.dev]
  resources: [netbirdgroups, netbirdpolicies, netbirdnetworks, setupkeys, posturechecks]
  verbs: [list, watch, patch]
- apiGroups: [nbaccess.dev]
  resources: [netbirdgroups/status, netbirdpolicies/status, netbirdnetworks/status, setupkeys/status, posturechecks/status]
  verbs: [patch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, create, patch, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- end -}}
