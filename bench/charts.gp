# Clustered bar chart of a whitespace table whose first row names the
# columns and whose first column labels the groups ("-" = no value).
# Called by bench/report.py with: datafile, outfile, cols, title, ylabel, logscale.
set terminal pngcairo size 1100,560 font "sans,10" noenhanced
set output outfile
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key below horizontal
# Ten distinct colours: gnuplot's default cycle repeats after eight.
set linetype 9 lc rgb "#8c564b"
set linetype 10 lc rgb "#7f7f7f"
set grid ytics
set xtics rotate by -35 scale 0
set title title
set ylabel ylabel
set yrange [0:*]
if (logscale) { set logscale y; set yrange [*:*] }
if (!logscale) { set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 }
plot for [i=2:cols] datafile using i:xtic(1) title columnheader(i)
