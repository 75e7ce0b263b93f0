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

{{/* A principal's KafkaUser name (kafka.users): <namePrefix><principal>. */}}
{{- define "cts.kafkaUser" -}}
{{- printf "%s%s" .root.Values.kafka.users.namePrefix .principal -}}
{{- end -}}

{{/* Kafka settings as env entries: shared by the services and the topic Job, which runs
before the release's ConfigMap exists. principal: the service's own Kafka user when
kafka.users.create is on (its password from the Secret Strimzi makes for that KafkaUser);
"" (the Job) or users off: kafka.sasl.username and kafka.sasl.passwordSecret. */}}
{{- define "cts.kafkaEnv" -}}
{{- $v := .root.Values.kafka }}
- name: CTS_KAFKA_BOOTSTRAP_SERVERS
  value: {{ $v.bootstrapServers | quote }}
- name: CTS_KAFKA_SECURITY_PROTOCOL
  value: {{ $v.securityProtocol | quote }}
- name: CTS_TOPIC_PREFIX
  value: {{ $v.topicPrefix | quote }}
{{- if include "cts.saslEnabled" .root }}
- name: CTS_KAFKA_SASL_MECHANISM
{{- if and $v.users.create .principal }}
  value: SCRAM-SHA-512
- name: CTS_KAFKA_SASL_USERNAME
  value: {{ include "cts.kafkaUser" . | quote }}
- name: CTS_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "cts.kafkaUser" . }}
      key: password
{{- else }}
  value: {{ $v.sasl.mechanism | quote }}
- name: CTS_KAFKA_SASL_USERNAME
  value: {{ required "kafka.sasl.username is required with a SASL securityProtocol" $v.sasl.username | quote }}
- name: CTS_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.sasl.passwordSecret.name is required with a SASL securityProtocol" $v.sasl.passwordSecret.name }}
      key: {{ $v.sasl.passwordSecret.key }}
{{- end }}
{{- else if $v.users.create }}
{{- fail "kafka.users.create needs a SASL kafka.securityProtocol (SASL_SSL or SASL_PLAINTEXT)" }}
{{- end }}
{{- if $v.tls.caSecret.name }}
- name: CTS_KAFKA_SSL_CAFILE
  value: /etc/cts/kafka-ca/{{ $v.tls.caSecret.key }}
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

{{- /* The test-runner's mounted Secrets: volume name -> (Secret, key, mount path), the set ones. */ -}}
{{- define "cts.testRunnerSecrets" -}}
{{- $deps := .Values.dependencies }}
{{- $all := list
  (dict "volume" "test-database" "secret" .Values.testDatabase.urlSecret "path" "/etc/cts/test-database")
  (dict "volume" "hex-key" "secret" $deps.hexReposKeySecret "path" "/etc/cts/hex")
  (dict "volume" "deps-ca" "secret" $deps.caSecret "path" "/etc/cts/deps-ca") }}
{{- $set := list }}
{{- range $all }}{{ if .secret.name }}{{ $set = append $set . }}{{ end }}{{ end }}
{{- toYaml (dict "items" $set) }}
{{- end -}}

{{- define "cts.testRunnerEnv" -}}
{{- $deps := .Values.dependencies }}
{{- with .Values.testDatabase.urlSecret.name }}
- name: CTS_TEST_DATABASE_URL_FILE
  value: /etc/cts/test-database/{{ $.Values.testDatabase.urlSecret.key }}
{{- end }}
{{- with $deps.allowedHosts }}
- name: CTS_DEPS_ALLOWED_HOSTS
  value: {{ join "," . | quote }}
{{- end }}
{{- with $deps.resolve }}
- name: CTS_DEPS_RESOLVE
  value: {{ join "," . | quote }}
{{- end }}
{{- with $deps.hexMirror }}
- name: CTS_HEX_MIRROR
  value: {{ . | quote }}
{{- end }}
{{- if $deps.hexOffline }}
- name: CTS_HEX_OFFLINE
  value: "true"
{{- end }}
{{- with $deps.hexReposKeySecret.name }}
- name: CTS_HEX_REPOS_KEY_FILE
  value: /etc/cts/hex/{{ $deps.hexReposKeySecret.key }}
{{- end }}
{{- with $deps.caSecret.name }}
- name: CTS_DEPS_CA_FILE
  value: /etc/cts/deps-ca/{{ $deps.caSecret.key }}
{{- end }}
{{- end -}}
