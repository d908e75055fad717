# The series that decided a problem's run, against iteration (RUN/samples.csv), in MiB, or
# as it is for a count (descriptors, threads, processes). The axis is fitted to the series,
# not from 0: a growth of a few bytes per iteration shows. Parameters: common.gp's,
# datafile, series (its column name), count (1: a count, not bytes), xlabel.
load dir.'/common.gp'
set xlabel xlabel
set ylabel (count ? 'count (axis fitted, not from 0)' : 'MiB (axis fitted, not from 0)')
set datafile columnheaders
plot datafile using 1:(column(series) / (count ? 1.0 : 1048576.0)) with lines lw 2 lc rgb '#d62728' title series noenhanced
