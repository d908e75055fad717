# The headline: peak memory against iteration count, one line per mode (log x).
# Parameters: common.gp's, datafile (blocks per mode: iterations,peak MiB), modes (names
# in block order, space-separated).
load dir.'/common.gp'
set logscale x
set xlabel 'iterations (log scale)'
set ylabel 'peak RSS, MiB (axis from 0)'
set yrange [0:*]
set xrange [*:*]
set offsets graph 0.05, graph 0.05, 0, 0
plot for [i=1:words(modes)] datafile index (i-1) using 1:2 with linespoints lw 2 pt 7 title word(modes, i)
