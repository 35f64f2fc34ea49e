{{/* Labels every object carries (as deploy/base's `labels`). */}}
{{- define "ckg.labels" -}}
app.kubernetes.io/name: consul-k8s-gitops
app.kubernetes.io/part-of: consul-k8s-gitops
{{- end }}

{{/* Labels of one part's objects; the argument is the component name. */}}
{{- define "ckg.componentLabels" -}}
app.kubernetes.io/name: consul-k8s-gitops
app.kubernetes.io/part-of: consul-k8s-gitops
app.kubernetes.io/component: {{ . }}
{{- end }}

{{/* Pod template labels and selectors of one part. */}}
{{- define "ckg.selectorLabels" -}}
app.kubernetes.io/name: consul-k8s-gitops
app.kubernetes.io/component: {{ . }}
{{- end }}

{{- define "ckg.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* A cluster-scoped name: `consul-k8s-gitops<part>` plus the release's suffix. */}}
{{- define "ckg.clusterName" -}}
{{ .name }}{{ .root.Values.clusterScopedNameSuffix }}
{{- end }}

{{/*
Settings ConfigMaps: data, and a name with a content hash, so pods roll when settings change
(kustomize's configMapGenerator does the same with its own hash).
*/}}
{{- define "ckg.consulData" -}}
CONSUL_HTTP_ADDR: {{ .Values.consul.address | quote }}
{{- with .Values.consul.caFile }}
CONSUL_CACERT: {{ . | quote }}
{{- end }}
{{- with .Values.consul.tokenFile }}
CONSUL_HTTP_TOKEN_FILE: {{ . | quote }}
{{- end }}
{{- end }}
{{- define "ckg.registrarData" -}}
CLUSTER_ID: {{ .Values.clusterId | quote }}
{{- end }}
{{- define "ckg.generatorData" -}}
GENERATOR_BRANCH: {{ .Values.generator.branch | quote }}
GENERATOR_PATH: {{ .Values.generator.path | quote }}
GENERATOR_REPO: {{ .Values.generator.repo | quote }}
GENERATOR_WRITE_NAMESPACE: {{ .Values.generator.writeNamespace | quote }}
{{- end }}
{{- define "ckg.consulConfigMap" -}}
consul-k8s-gitops-consul-{{ include "ckg.consulData" . | sha256sum | trunc 10 }}
{{- end }}
{{- define "ckg.registrarConfigMap" -}}
consul-k8s-gitops-registrar-{{ include "ckg.registrarData" . | sha256sum | trunc 10 }}
{{- end }}
{{- define "ckg.generatorConfigMap" -}}
consul-k8s-gitops-generator-{{ include "ckg.generatorData" . | sha256sum | trunc 10 }}
{{- end }}

{{/* NODE_OPTIONS with a heap cap; the argument is the cap in MiB. */}}
{{- define "ckg.nodeOptions" -}}
- name: NODE_OPTIONS
  value: --enable-source-maps --max-old-space-size={{ . }}
{{- end }}

{{- define "ckg.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile: { type: RuntimeDefault }
{{- end }}

{{- define "ckg.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities: { drop: [ALL] }
seccompProfile: { type: RuntimeDefault }
{{- end }}

{{/* The generator's container (Deployment in watch mode, CronJob otherwise). */}}
{{- define "ckg.generatorContainer" -}}
- name: generator
  image: {{ include "ckg.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args:
    - generate
    {{- if eq .Values.generator.mode "watch" }}
    - --watch
    {{- else }}
    - --once
    {{- end }}
    - --repo=$(GENERATOR_REPO)
    - --branch=$(GENERATOR_BRANCH)
    - --path=$(GENERATOR_PATH)
    - --k8s-write-namespace=$(GENERATOR_WRITE_NAMESPACE)
    - --check-cluster
    - --git-token-file=/etc/consul-k8s-gitops/git/token
    - --cluster-id=$(CLUSTER_ID)
    {{- if eq .Values.generator.mode "watch" }}
    - --leader-elect
    - --leader-elect-lease-name=consul-k8s-gitops-generator-leader-election
    - --leader-elect-lease-namespace=$(POD_NAMESPACE)
    - --http-port=8080
    {{- end }}
    - --log-level=info
    {{- with .Values.syncCatalog.k8sPrefix }}
    - --k8s-service-prefix={{ . }}
    {{- end }}
    {{- with .Values.syncCatalog.k8sTag }}
    - --consul-k8s-tag={{ . }}
    {{- end }}
    {{- if .Values.generator.adoptConsulK8s }}
    - --adopt-consul-k8s
    {{- end }}
  envFrom:
    - configMapRef: { name: {{ include "ckg.consulConfigMap" . }} }
    - configMapRef: { name: {{ include "ckg.generatorConfigMap" . }} }
  env:
    {{- include "ckg.nodeOptions" .Values.generator.maxOldSpaceSizeMiB | nindent 4 }}
    - name: CLUSTER_ID
      valueFrom:
        configMapKeyRef: { name: {{ include "ckg.registrarConfigMap" . }}, key: CLUSTER_ID }
    {{- if eq .Values.generator.mode "watch" }}
    - name: POD_NAMESPACE
      valueFrom:
        fieldRef: { fieldPath: metadata.namespace }
  ports:
    - { name: http, containerPort: 8080, protocol: TCP }
  readinessProbe:
    httpGet: { path: /readyz, port: http }
    periodSeconds: 10
    failureThreshold: 3
  livenessProbe:
    httpGet: { path: /livez, port: http }
    periodSeconds: 20
    failureThreshold: 3
    {{- end }}
  resources: {{- toYaml .Values.generator.resources | nindent 4 }}
  securityContext: {{- include "ckg.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    - { name: consul, mountPath: /etc/consul-k8s-gitops/consul, readOnly: true }
    - { name: git, mountPath: /etc/consul-k8s-gitops/git, readOnly: true }
    - { name: tmp, mountPath: /tmp }
{{- end }}

{{- define "ckg.generatorVolumes" -}}
# 288 = 0440 (octal)
- name: consul
  secret: { secretName: consul-k8s-gitops-generator-consul, defaultMode: 288, optional: true }
- name: git
  secret: { secretName: consul-k8s-gitops-generator-git, defaultMode: 288, optional: true }
- name: tmp
  emptyDir: { sizeLimit: 1Gi }
{{- end }}
