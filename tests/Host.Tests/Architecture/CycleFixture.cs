// A namespace cycle on purpose, for NamespaceCycleTests: each direction is made only where a reading of the
// signatures alone would miss it.

namespace NrtCluster.Host.Tests.Architecture.CycleFixture.Bodies
{
    public static class Caller
    {
        // Bodies -> Targets only inside a lambda (compiled into a nested closure class).
        public static Func<int> Later() => () => Targets.Callee.Count + 1;
    }
}

namespace NrtCluster.Host.Tests.Architecture.CycleFixture.Targets
{
    // Targets -> Bodies only through a typeof attribute argument (Marker is declared in Targets itself).
    [Marker(typeof(Bodies.Caller))]
    public static class Callee
    {
        public static int Count = 1;
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class MarkerAttribute(Type type) : Attribute
    {
        public Type Type { get; } = type;
    }
}
