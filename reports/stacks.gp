# Memory held by the functions a problem's growth is charged to, over one jemalloc run
# (RUN/stacks-over-time.csv: iteration, ms, then bytes per function, from jemalloc's heap
# profiles read by jeprof). Parameters: common.gp's, datafile, n (function columns), xlabel
# (what the count counts: iteration, request).
load dir.'/common.gp'
set xlabel xlabel
set ylabel 'MiB held (sampled; axis from 0)'
set yrange [0:*]
set datafile columnheaders
plot for [k=1:n] datafile using 1:(column(k+2) / 1048576.0) with linespoints lw 2 pt 7 ps 0.6 title columnheader(k+2) noenhanced
