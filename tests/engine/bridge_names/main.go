// Command bridge-names applies pulumi-terraform-bridge's own Terraform-to-Pulumi property name
// conversion to a list of Terraform attributes, so a test can check the names of the provider
// schema this project bundles (components/akeyless_provider_schema.json) against the bridge
// itself instead of against a copy of its rules.
//
// Input on stdin, one object per scope (a resource, a nested block type, the provider):
//
//	{"<scope>": {"<terraform attribute>": {"kind": "scalar|list|set|map", "max_items": 0}}}
//
// Output on stdout, the same scopes: {"<scope>": {"<terraform attribute>": "<Pulumi name>"}}.
//
// The conversion is tfbridge.TerraformToPulumiNameV2 (pkg/tfbridge/names.go, implemented in
// pkg/tfbridge/internal/naming/naming.go): camelCase, and a list or set attribute whose
// MaxItems is not 1 pluralized unless the plural names a sibling attribute, which is why it
// takes the whole scope's attributes and not one name at a time.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	shimschema "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/schema"
)

type attribute struct {
	Kind     string `json:"kind"`
	MaxItems int    `json:"max_items"`
}

var kinds = map[string]shim.ValueType{
	"scalar": shim.TypeString,
	"list":   shim.TypeList,
	"set":    shim.TypeSet,
	"map":    shim.TypeMap,
}

func convert(scopes map[string]map[string]attribute) (map[string]map[string]string, error) {
	names := map[string]map[string]string{}
	for scope, attributes := range scopes {
		schemaMap := shimschema.SchemaMap{}
		for name, attr := range attributes {
			kind, ok := kinds[attr.Kind]
			if !ok {
				return nil, fmt.Errorf("%s.%s: unknown kind %q", scope, name, attr.Kind)
			}
			schemaMap[name] = (&shimschema.Schema{Type: kind, MaxItems: attr.MaxItems}).Shim()
		}
		names[scope] = map[string]string{}
		for name := range attributes {
			names[scope][name] = tfbridge.TerraformToPulumiNameV2(name, schemaMap, nil)
		}
	}
	return names, nil
}

func main() {
	var scopes map[string]map[string]attribute
	if err := json.NewDecoder(os.Stdin).Decode(&scopes); err != nil {
		fmt.Fprintf(os.Stderr, "bridge-names: reading stdin: %v\n", err)
		os.Exit(2)
	}
	names, err := convert(scopes)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bridge-names: %v\n", err)
		os.Exit(2)
	}
	if err := json.NewEncoder(os.Stdout).Encode(names); err != nil {
		fmt.Fprintf(os.Stderr, "bridge-names: %v\n", err)
		os.Exit(1)
	}
}
