#!/bin/sh
# Medians of wall and CPU (user+sys) per label in DIR/times.txt.
#   sh bench/workspace/summary.sh DIR
awk '!/^#/ { n[$1]++; w[$1, n[$1]] = $2; c[$1, n[$1]] = $3 + $4 }
function med(a, k, m,   i, j, t, v) { for (i = 1; i <= m; i++) v[i] = a[k, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }
END { for (k in n) printf "%-28s n=%d  wall %7.2f s  cpu %7.2f s\n", k, n[k], med(w, k, n[k]), med(c, k, n[k]) }' "$1/times.txt" | sort
