#ifndef CPUFREQ_H
#define CPUFREQ_H

#define CPUFREQ_SLOTS 26     /* 0 to 5000 MHz and above */
#define CPUFREQ_STEP_MHZ 200

struct cpufreq_key {
	char comm[16];
};

struct cpufreq_hist {
	__u32 slots[CPUFREQ_SLOTS];
};

#endif
