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
