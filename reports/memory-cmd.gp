# Memory against iteration for one run of a program of one's own (--cmd): RSS and PSS as
# the soak read them, jemalloc's allocated and resident when the run had jemalloc (MiB,
# from 0, so a flat line looks flat). Parameters: common.gp's, datafile (samples.csv),
# jemalloc (1 to draw the jemalloc series).
load dir.'/common.gp'
set xlabel 'iteration (step, or placed by time)'
set ylabel 'MiB (axis from 0)'
set yrange [0:*]
set datafile columnheaders
MiB(c) = column(c) / 1048576.0
plot datafile using 1:(MiB('proc.rss_bytes')) with lines lw 2 lc rgb '#1f77b4' title 'RSS', \
     '' using 1:(MiB('proc.pss_bytes')) with lines lw 1 dt 2 lc rgb '#17becf' title 'PSS', \
     for [k=1:jemalloc] '' using 1:(MiB('jemalloc.allocated')) with lines lw 1 lc rgb '#d62728' title 'jemalloc allocated', \
     for [k=1:jemalloc] '' using 1:(MiB('jemalloc.resident')) with lines lw 1 dt 3 lc rgb '#8c564b' title 'jemalloc resident'
