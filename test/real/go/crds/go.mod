// The CustomResourceDefinitions that deploy/ uses, taken from the projects that publish them,
// pinned here by version and checksum. Nothing is built from this module: test/real/setup.sh
// downloads each module and copies the CRD files listed in crds.txt into the real-tier cache.
module consul-k8s-gitops/test/real/go/crds

go 1.26

require (
	github.com/argoproj/argo-cd/v3 v3.5.7
	github.com/cert-manager/cert-manager v1.21.2
	github.com/fluxcd/kustomize-controller v1.9.6
	github.com/fluxcd/source-controller v1.9.6
	github.com/prometheus-operator/prometheus-operator v0.85.0
)
