# Shared by every chart template. Parameters (set with gnuplot -e): term ('png' or 'svg'),
# outfile, title, and optionally height and width (pixels, 400 and 760). Sizes suit a page
# column on a desktop and scale down on a phone.
if (!exists('height')) height = 400
if (!exists('width')) width = 760
if (term eq 'svg') {
    set terminal svg size width,height dynamic enhanced font 'sans,11' background rgb 'white'
} else {
    set terminal pngcairo size width,height enhanced font 'sans,10' background rgb 'white'
}
set output outfile
set title title noenhanced
set key outside right top vertical Left reverse noenhanced
set grid ytics lc rgb '#dddddd'
set border 3
set tics nomirror
set datafile separator ','
set datafile missing ''
