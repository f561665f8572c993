#ifndef BASHREADLINE_H
#define BASHREADLINE_H

/* libbpf-tools keeps 80 bytes of a line; a pasted command is often longer. */
#define BASHREADLINE_MAX_LINE 4096

struct bashreadline_event {
	__u32 pid;
	char line[BASHREADLINE_MAX_LINE]; /* NUL-terminated; the record ends after the NUL */
};

#endif
