using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Kernels.Tests")]
