# One bar per row: label,value. Used for top allocation sites (bytes per iteration), the
# sites that grow, and time per iteration by mode. Parameters: common.gp's, datafile,
# ylabel, logy (1 for a log axis).
height = 460
load dir.'/common.gp'
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.7
set ylabel ylabel
set xtics rotate by 30 right noenhanced font ',9'
set key off
if (logy) { set logscale y } else { set yrange [0:*] }
set bmargin 9
plot datafile using 2:xtic(1) lc rgb '#1f77b4'
