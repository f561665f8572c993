package tools

import (
	"fmt"
	"testing"
)

// TestVariants holds each variant a tool declares for --verify (Def.Variants: option sets with
// values that change what is loaded) to parse, and to ask for a spec that neither the default,
// nor a switch alone, nor an earlier variant asks for: a misspelt or redundant variant would
// otherwise be dropped without a word, and what it stood for never verified.
func TestVariants(t *testing.T) {
	for _, tool := range All {
		if tool.Object == "" {
			continue
		}
		all := tool.Variants()
		firstDeclared := len(all) - len(tool.DeclaredVariants())
		seen := map[string]string{}
		for i, args := range all {
			s, err := tool.Spec(args)
			declared := i >= firstDeclared
			if err != nil {
				if declared {
					t.Errorf("%s: variant %q: %v", tool.Name, args, err)
				}
				continue
			}
			key := fmt.Sprintf("%#v", s)
			if prev, dup := seen[key]; dup && declared {
				t.Errorf("%s: variant %q asks for the same spec as %s", tool.Name, args, prev)
			}
			if _, dup := seen[key]; !dup {
				seen[key] = fmt.Sprintf("%q", args)
			}
		}
	}
}
