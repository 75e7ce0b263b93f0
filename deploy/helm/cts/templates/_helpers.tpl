{{/* Names, labels and the per-service table every template ranges over. */}}

{{- define "cts.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cts.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cts.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "cts.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cts
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "test-runner") */}}
{{- define "cts.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cts.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "cts.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "cts.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The services. key: the values key; topic: the command topic an executor consumes (its
consumer group is <groupPrefix>-<name>); mongodb / anthropic / workspace: what it is given.
The test-runner gets no MongoDB and no Anthropic credentials: it runs untrusted code.
*/}}
{{- define "cts.components" -}}
orchestrator:
  key: orchestrator
  image: main
  topic: ""
  mongodb: true
  anthropic: false
  workspace: false
  git: false
agent-runner:
  key: agentRunner
  image: main
  topic: cts.agent.step-requested.v1
  mongodb: true
  anthropic: true
  workspace: true
  git: false
test-runner:
  key: testRunner
  image: testRunner
  topic: cts.tests.step-requested.v1
  mongodb: false
  anthropic: false
  workspace: true
  git: false
git-committer:
  key: gitCommitter
  image: main
  topic: cts.git.step-requested.v1
  mongodb: false
  anthropic: false
  workspace: true
  git: true
{{- end -}}

{{- define "cts.image" -}}
{{- $repository := ternary .root.Values.image.testRunnerRepository .root.Values.image.repository (eq .kind "testRunner") -}}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion .root.Values.image.tag) -}}
{{- end -}}

{{- define "cts.configName" -}}
{{- printf "%s-config" (include "cts.fullname" .) -}}
{{- end -}}

{{- define "cts.workspaceClaim" -}}
{{- default (printf "%s-workspace" (include "cts.fullname" .)) .Values.workspace.persistence.existingClaim -}}
{{- end -}}

{{- define "cts.saslEnabled" -}}
{{- if hasPrefix "SASL_" .Values.kafka.securityProtocol -}}true{{- end -}}
{{- end -}}

{{/* Kafka settings as env entries: shared by the services (through the ConfigMap) and the
topic Job, which runs before the release's ConfigMap exists. */}}
{{- define "cts.kafkaEnv" -}}
- name: CTS_KAFKA_BOOTSTRAP_SERVERS
  value: {{ .Values.kafka.bootstrapServers | quote }}
- name: CTS_KAFKA_SECURITY_PROTOCOL
  value: {{ .Values.kafka.securityProtocol | quote }}
- name: CTS_TOPIC_PREFIX
  value: {{ .Values.kafka.topicPrefix | quote }}
{{- if include "cts.saslEnabled" . }}
- name: CTS_KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
- name: CTS_KAFKA_SASL_USERNAME
  value: {{ required "kafka.sasl.username is required with a SASL securityProtocol" .Values.kafka.sasl.username | quote }}
- name: CTS_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.sasl.passwordSecret.name is required with a SASL securityProtocol" .Values.kafka.sasl.passwordSecret.name }}
      key: {{ .Values.kafka.sasl.passwordSecret.key }}
{{- end }}
{{- if .Values.kafka.tls.caSecret.name }}
- name: CTS_KAFKA_SSL_CAFILE
  value: /etc/cts/kafka-ca/{{ .Values.kafka.tls.caSecret.key }}
{{- end }}
{{- end -}}

{{- define "cts.kafkaCaVolume" -}}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret.name }}
    items:
      - key: {{ .Values.kafka.tls.caSecret.key }}
        path: {{ .Values.kafka.tls.caSecret.key }}
{{- end -}}

{{- define "cts.kafkaCaMount" -}}
- name: kafka-ca
  mountPath: /etc/cts/kafka-ca
  readOnly: true
{{- end -}}
