// templates/NOTES.txt: what Helm prints after install and upgrade.

export const NOTES_TXT = `{{- $fullname := include "otp-service.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{ .Chart.Name }} {{ include "otp-service.version" . }} is deployed as release "{{ .Release.Name }}" in namespace "{{ $ns }}".

Inside the cluster:  http://{{ $fullname }}.{{ $ns }}.svc:{{ .Values.service.port }}
From this machine:
  kubectl -n {{ $ns }} port-forward svc/{{ $fullname }} 8080:{{ .Values.service.port }}
  curl -s localhost:8080/health
Check the release:
  helm test {{ .Release.Name }} -n {{ $ns }}

Replicas: {{ if .Values.autoscaling.enabled }}{{ .Values.autoscaling.minReplicas }}–{{ .Values.autoscaling.maxReplicas }} (HPA{{ if .Values.autoscaling.cpu.enabled }}, CPU {{ .Values.autoscaling.cpu.averageUtilization }}%{{ end }}{{ if .Values.autoscaling.requestRate.enabled }}, {{ .Values.autoscaling.requestRate.averageValue }} req/s per Pod{{ end }}){{ else }}{{ .Values.replicaCount }} (no autoscaling){{ end }}.
Shutdown: {{ if and .Values.shutdown.preStopSleep (gt (int64 .Values.shutdown.drainDelayMs) 0) }}preStop sleep {{ div (add (int64 .Values.shutdown.drainDelayMs) 999) 1000 }}s, then {{ end }}SIGTERM; the app has {{ .Values.shutdown.timeoutMs }} ms for in-flight requests and as much again to close its clients.
{{- if .Values.migrations.enabled }}
Migrations: a Job on {{ include "otp-service.migrationHook" . }} (kubectl -n {{ $ns }} logs job/{{ $fullname }}-migrate while it runs).
{{- end }}
{{- if not .Values.secrets.existingSecret }}
Secrets: generated into Secret {{ $fullname }} (OTP_SECRET, DATABASE_URL, REDIS_URL) and kept across upgrades (by lookup: not under helm template / GitOps, see the README).
{{- end }}
{{- if and .Values.mockSms.enabled .Values.config.sms.providerUrl }}

NOTE: the mock SMS provider runs but is unused: SMS go to {{ .Values.config.sms.providerUrl }}.
{{- end }}
{{- if and .Values.mockSms.enabled (not .Values.config.sms.providerUrl) }}

WARNING: SMS go to the in-cluster MOCK provider ({{ $fullname }}-mock-sms); nobody receives them.
  Read them: kubectl -n {{ $ns }} port-forward svc/{{ $fullname }}-mock-sms 8090 && curl -s localhost:8090/messages
  For real delivery set mockSms.enabled=false and config.sms.providerUrl.
{{- end }}
{{- if .Values.config.layerEndpointsEnabled }}

WARNING: the benchmark's /layers/* endpoints are ON (config.layerEndpointsEnabled). Never in production.
{{- end }}
{{- if .Values.config.testErrorEndpointEnabled }}

WARNING: /test-error is ON (config.testErrorEndpointEnabled): anyone reaching the service can fire error alerts.
{{- end }}
{{- if or .Values.postgresql.enabled .Values.redis.enabled }}

NOTE: PostgreSQL and/or Redis run in-cluster as single-replica StatefulSets, meant for benchmarks.
{{- end }}
`;
