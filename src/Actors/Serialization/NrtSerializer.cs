using Akka.Actor;
using Akka.Serialization;

namespace NrtCluster.Actors.Serialization;

/// <summary>Akka serializer for every <see cref="Tiles.INrtSerializable"/> type (bound in hocon/base.conf).</summary>
public sealed class NrtSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Stable id stored next to every journal row and snapshot: never change it.</summary>
    public const int SerializerId = 7301;

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => NrtBinaryFormat.ManifestOf(o);

    public override byte[] ToBinary(object obj) => NrtBinaryFormat.Write(obj);

    public override object FromBinary(byte[] bytes, string manifest) => NrtBinaryFormat.Read(bytes, manifest);
}
