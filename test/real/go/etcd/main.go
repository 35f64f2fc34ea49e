// Command etcd runs etcd's server entry point. etcd's own main package lives in a module
// whose go.mod replaces its submodules with local paths, so it cannot be built from the
// module proxy; the server module's etcdmain package is the same program.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
