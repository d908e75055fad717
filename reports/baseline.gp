# This soak beside a baseline: one pair of bars per run (mode/iterations).
# Parameters: common.gp's, datafile (label,this,baseline), ylabel.
height = 460
load dir.'/common.gp'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set ylabel ylabel
set yrange [0:*]
set xtics rotate by 30 right noenhanced font ',9'
set bmargin 9
plot datafile using 2:xtic(1) title 'this soak' lc rgb '#1f77b4', '' using 3 title 'baseline' lc rgb '#c7c7c7'
