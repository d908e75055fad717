# Memory against iteration for one run: RSS, arena high-water, engine heap (MiB, from 0,
# so a flat line looks flat), tape capacity (entries, right axis); jemalloc's allocated
# and resident when the run has them. Parameters: common.gp's, datafile (samples.csv),
# jemalloc (1 to draw the jemalloc series).
load dir.'/common.gp'
set xlabel 'iteration'
set ylabel 'MiB (axis from 0)'
set y2label 'tape capacity (entries)'
set y2tics
set yrange [0:*]
set datafile columnheaders
set y2range [0:*]
MiB(c) = column(c) / 1048576.0
plot datafile using 1:(MiB('proc.rss_bytes')) with lines lw 2 lc rgb '#1f77b4' title 'RSS', \
     '' using 1:(MiB('arena.high_water_bytes')) with lines lw 2 lc rgb '#2ca02c' title 'arena high-water', \
     '' using 1:(MiB('mem.heap_bytes')) with lines lw 2 lc rgb '#9467bd' title 'engine heap', \
     '' using 1:(column('tape.capacity')) axes x1y2 with lines lw 2 dt 2 lc rgb '#ff7f0e' title 'tape capacity (right)', \
     for [k=1:jemalloc] '' using 1:(MiB('jemalloc.allocated')) with lines lw 1 lc rgb '#d62728' title 'jemalloc allocated', \
     for [k=1:jemalloc] '' using 1:(MiB('jemalloc.resident')) with lines lw 1 dt 3 lc rgb '#8c564b' title 'jemalloc resident'
