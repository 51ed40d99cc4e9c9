using NrtCluster.Geo.Gdal;
using NrtCluster.Host.Cli;

var code = await Verbs.Root().Parse(args).InvokeAsync();
// A stopped job may leave a tile's granule reads running on the thread pool; GDAL must not be torn down under them.
GdalWork.EndAndWait(GdalWork.EndTimeout);
return code;
