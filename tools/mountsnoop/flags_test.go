package mountsnoop

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{string(appendMountFlags(nil, 0)), "0x0"},
		{string(appendMountFlags(nil, unix.MS_REC|unix.MS_PRIVATE)), "MS_REC | MS_PRIVATE"},
		{string(appendMountFlags(nil, unix.MS_NOATIME|unix.MS_BIND)), "MS_NOATIME | MS_BIND"},
		{string(appendMountFlags(nil, 0xC0ED0000|unix.MS_RDONLY)), "MS_MGC_VAL | MS_RDONLY"},
		{string(appendMountFlags(nil, 0xC0ED0000)), "MS_MGC_VAL"},
		{string(appendMountFlags(nil, 1<<9|1)), "MS_RDONLY | 0x200"},
		{string(appendFlags(nil, unix.MNT_DETACH, umountFlags, "0x0")), "MNT_DETACH"},
		{string(appendFlags(nil, 0, moveMountFlags, "")), ""},
		{string(appendAttrFlags(nil, 0)), ""},
		{string(appendAttrFlags(nil, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_STRICTATIME)), "MOUNT_ATTR_RDONLY | MOUNT_ATTR_STRICTATIME"},
		{string(appendAttrFlags(nil, unix.MOUNT_ATTR_NOATIME)), "MOUNT_ATTR_NOATIME"},
		{string(appendResult(nil, 0)), "0"},
		{string(appendResult(nil, 7)), "7"},
		{string(appendResult(nil, -int32(unix.EPERM))), "-EPERM"},
		{string(appendResult(nil, -4000)), "-4000"},
		{string(appendFD(nil, unix.AT_FDCWD)), "AT_FDCWD"},
		{fsconfigCmd(8), "FSCONFIG_CMD_CREATE_EXCL"},
		{fsconfigCmd(9), "UNKNOWN"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
