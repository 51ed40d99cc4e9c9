using Akka.Actor;
using Akka.Serialization;

namespace NrtCluster.Actors.Serialization;

/// <summary>
/// An Akka serializer over one of the project's binary formats: the id stored next to every journal row and snapshot
/// (never change it), and the format's manifest, writer and reader.
/// </summary>
public abstract class FormatSerializer(
    ExtendedActorSystem system, int id, Func<object, string> manifestOf, Func<object, byte[]> write, Func<byte[], string, object> read)
    : SerializerWithStringManifest(system)
{
    public override int Identifier => id;

    public override string Manifest(object o) => manifestOf(o);

    public override byte[] ToBinary(object obj) => write(obj);

    public override object FromBinary(byte[] bytes, string manifest) => read(bytes, manifest);
}

/// <summary>Akka serializer for every <see cref="Tiles.INrtSerializable"/> type (bound in hocon/base.conf).</summary>
public sealed class NrtSerializer(ExtendedActorSystem system)
    : FormatSerializer(system, SerializerId, NrtBinaryFormat.ManifestOf, NrtBinaryFormat.Write, NrtBinaryFormat.Read)
{
    public const int SerializerId = 7301;
}
