# A figure of the soak history over commits (soak history --out): a line per count, the
# change points as dashed lines. Parameters: common.gp's (png only), datafile (blocks per
# count: commit index,value,label), counts (names in block order), n (commits), xtics_cmd
# (a `set xtics (...)` command), cps (commit indexes of the change points), cplabels
# (their labels, one word each), ylabel, mapfile (where the plot area's pixels are
# printed for the page's links).
load dir.'/common.gp'
set key outside right top vertical Left reverse noenhanced
set xlabel 'commit (first-parent order, oldest left)'
set ylabel ylabel noenhanced
set yrange [0:*]
set xrange [-0.5:n-0.5]
set offsets 0, 0, graph 0.12, 0
set bmargin 7
eval xtics_cmd
set xtics rotate by -40 font ',8' noenhanced
do for [i=1:words(cps)] {
    x = word(cps, i) + 0 - 0.5
    set arrow i from x, graph 0 to x, graph 1 nohead dt 2 lw 2 lc rgb '#c62828'
    set label i word(cplabels, i) at x, graph 1.03 center tc rgb '#c62828' font ',9' noenhanced
}
plot for [i=1:words(counts)] datafile index (i-1) using 1:2 with linespoints lw 2 pt 7 ps 0.8 title word(counts, i)
set print mapfile
print GPVAL_TERM_XMIN, GPVAL_TERM_XMAX, GPVAL_TERM_YMIN, GPVAL_TERM_YMAX, GPVAL_X_MIN, GPVAL_X_MAX, GPVAL_Y_MIN, GPVAL_Y_MAX
unset print
