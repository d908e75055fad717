# Memory by role, stacked, one bar per mode (from each mode's longest run): parameters,
# gradients, optimizer state, activations (arena), tape, other (the rest of RSS).
# Parameters: common.gp's, datafile (mode,params,grads,optim,arena,tape,other in MiB).
load dir.'/common.gp'
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.6
set ylabel 'MiB'
set yrange [0:*]
set key outside right top
plot datafile using 2:xtic(1) title 'parameters' lc rgb '#1f77b4', \
     '' using 3 title 'gradients' lc rgb '#aec7e8', \
     '' using 4 title 'optimizer state' lc rgb '#ff7f0e', \
     '' using 5 title 'activations (arena)' lc rgb '#2ca02c', \
     '' using 6 title 'tape' lc rgb '#d62728', \
     '' using 7 title 'other (RSS rest)' lc rgb '#c7c7c7'
