using NrtCluster.Host.Cli;

return await Verbs.Root().Parse(args).InvokeAsync();
