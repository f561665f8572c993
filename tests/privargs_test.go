package tests

import (
	"fmt"
	"os/exec"
	"strconv"
	"testing"
)

// privilegeArgs are the arguments TestLeastPrivilegeEveryTool gives a tool that does not run
// without any; what they name is started here, as nobody, so that nobody may trace it.
func privilegeArgs(t *testing.T, tool string) []string {
	t.Helper()
	switch tool {
	case "javagc":
		need(t, "java")
		_, _, group := nobody(t)
		java, _ := exec.LookPath("java")
		w := startWorkload(t, exec.Command("setpriv", "--reuid=nobody", "--regid="+group, "--init-groups",
			"--inh-caps=-all", "--", java, "-Xmx64m", "testdata/GcLoop.java"), "java")
		if l := w.line(); l != fmt.Sprintf("ready %d", w.pid) {
			t.Fatalf("GcLoop as nobody said %q", l)
		}
		return []string{"-p", strconv.Itoa(w.pid)}
	case "fsslower", "fsdist":
		return []string{"-t", "ext4"}
	case "funclatency":
		// A user function: kernel functions cannot be traced on every test machine.
		return []string{"c:usleep"}
	case "ksnoop":
		// init's reads only: a function every kernel has, little output.
		return []string{"-p", "1", "vfs_read"}
	case "futexctn":
		// Says it is attached on stderr only, as libbpf-tools does: a report a second shows it runs.
		return []string{"1"}
	}
	return nil
}
