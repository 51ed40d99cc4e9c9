using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace NrtCluster.Host.Tests.Architecture;

/// <summary>
/// Which namespaces of one assembly use which others, read from the assembly file's metadata: base types, interfaces,
/// fields, properties, events, method signatures, generic arguments and constraints, attributes (with their
/// <c>typeof</c> arguments) and every type, method and field a method body names. A nested type, lambda closure or
/// state machine counts for the namespace of its outermost declaring type. Types of the global namespace (compiler
/// helpers, top-level statements) are left out.
/// </summary>
public sealed class NamespaceGraph
{
    /// <summary>Each namespace with the namespaces it uses (never itself), and for each such edge the pairs of types that make it.</summary>
    public ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, ImmutableSortedSet<(string From, string To)>>> Edges { get; }

    private NamespaceGraph(ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, ImmutableSortedSet<(string From, string To)>>> edges) => Edges = edges;

    public static NamespaceGraph Of(string assemblyPath)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var md = pe.GetMetadataReader();
        var edges = new SortedDictionary<string, SortedDictionary<string, SortedSet<(string, string)>>>(StringComparer.Ordinal);
        foreach (var handle in md.TypeDefinitions)
        {
            var from = Outermost(md, handle);
            var fromNs = md.GetString(md.GetTypeDefinition(from).Namespace);
            if (fromNs.Length == 0) continue;
            var used = new TypeUses(md, pe);
            used.OfType(handle);
            foreach (var target in used.Found)
            {
                var to = Outermost(md, target);
                var toNs = md.GetString(md.GetTypeDefinition(to).Namespace);
                if (toNs.Length == 0 || toNs == fromNs) continue;
                if (!edges.TryGetValue(fromNs, out var outgoing)) edges[fromNs] = outgoing = new(StringComparer.Ordinal);
                if (!outgoing.TryGetValue(toNs, out var pairs)) outgoing[toNs] = pairs = [];
                pairs.Add((Name(md, handle), Name(md, target)));
            }
        }
        return new NamespaceGraph(edges.ToImmutableSortedDictionary(e => e.Key, e => e.Value.ToImmutableSortedDictionary(x => x.Key, x => x.Value.ToImmutableSortedSet(), StringComparer.Ordinal), StringComparer.Ordinal));
    }

    /// <summary>The namespace cycles: every strongly connected set of two or more namespaces, each sorted, in name order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles() =>
        FindCycles(Edges.ToDictionary(e => e.Key, e => (IEnumerable<string>)e.Value.Keys));

    /// <summary>Each edge inside a cycle with the types that make it (the first few), for a failure message.</summary>
    public string Describe(IReadOnlyList<string> cycle, int pairs = 4) =>
        string.Join("\n", cycle.SelectMany(from => Edges.GetValueOrDefault(from, ImmutableSortedDictionary<string, ImmutableSortedSet<(string From, string To)>>.Empty)
            .Where(e => cycle.Contains(e.Key))
            .Select(e => $"  {from} -> {e.Key}: " + string.Join(", ", e.Value.Take(pairs).Select(p => $"{p.From} uses {p.To}"))
                + (e.Value.Count > pairs ? $" and {e.Value.Count - pairs} more" : ""))));

    /// <summary>Tarjan's strongly connected components of <paramref name="graph"/>, keeping those of two or more nodes.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> FindCycles(IReadOnlyDictionary<string, IEnumerable<string>> graph)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var cycles = new List<IReadOnlyList<string>>();
        IEnumerable<string> Next(string n) => graph.TryGetValue(n, out var next) ? next : [];

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in Next(node))
            {
                if (!index.ContainsKey(next)) { Visit(next); low[node] = Math.Min(low[node], low[next]); }
                else if (onStack.Contains(next)) low[node] = Math.Min(low[node], index[next]);
            }
            if (low[node] != index[node]) return;
            var component = new List<string>();
            string member;
            do { member = stack.Pop(); onStack.Remove(member); component.Add(member); } while (member != node);
            if (component.Count > 1) cycles.Add([.. component.Order(StringComparer.Ordinal)]);
        }

        foreach (var node in graph.Keys.Concat(graph.Values.SelectMany(v => v)).Distinct().Order(StringComparer.Ordinal))
            if (!index.ContainsKey(node)) Visit(node);
        return [.. cycles.OrderBy(c => c[0], StringComparer.Ordinal)];
    }

    private static TypeDefinitionHandle Outermost(MetadataReader md, TypeDefinitionHandle handle)
    {
        while (md.GetTypeDefinition(handle).GetDeclaringType() is { IsNil: false } outer) handle = outer;
        return handle;
    }

    private static string Name(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        var outer = type.GetDeclaringType();
        return outer.IsNil ? md.GetString(type.Name) : Name(md, outer) + "+" + md.GetString(type.Name);
    }

    /// <summary>The types of this assembly that one type definition uses (its own members and bodies; nested types are visited on their own).</summary>
    private sealed class TypeUses(MetadataReader md, PEReader pe) : ISignatureTypeProvider<TypeUses.Sig, object?>, ICustomAttributeTypeProvider<TypeUses.Sig>
    {
        /// <summary>A decoded type: only a referenced type's name is kept, to recognise System.Type in attribute arguments.</summary>
        public readonly record struct Sig(string? Reference);

        private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(o => o.Value, o => o.OperandType);

        public HashSet<TypeDefinitionHandle> Found { get; } = [];

        public void OfType(TypeDefinitionHandle handle)
        {
            var type = md.GetTypeDefinition(handle);
            Entity(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations()) Entity(md.GetInterfaceImplementation(i).Interface);
            GenericParameters(type.GetGenericParameters());
            Attributes(type.GetCustomAttributes());
            foreach (var f in type.GetFields())
            {
                var field = md.GetFieldDefinition(f);
                field.DecodeSignature(this, null);
                Attributes(field.GetCustomAttributes());
            }
            foreach (var p in type.GetProperties())
            {
                var property = md.GetPropertyDefinition(p);
                property.DecodeSignature(this, null);
                Attributes(property.GetCustomAttributes());
            }
            foreach (var e in type.GetEvents())
            {
                var ev = md.GetEventDefinition(e);
                Entity(ev.Type);
                Attributes(ev.GetCustomAttributes());
            }
            foreach (var m in type.GetMethods()) Method(md.GetMethodDefinition(m));
        }

        private void Method(MethodDefinition method)
        {
            method.DecodeSignature(this, null);
            GenericParameters(method.GetGenericParameters());
            Attributes(method.GetCustomAttributes());
            foreach (var p in method.GetParameters()) Attributes(md.GetParameter(p).GetCustomAttributes());
            if (method.RelativeVirtualAddress == 0) return;
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
                md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null);
            foreach (var region in body.ExceptionRegions) Entity(region.CatchType);
            Il(body.GetILReader());
        }

        /// <summary>Every metadata token an instruction carries (types, methods, fields, signatures of indirect calls).</summary>
        private void Il(BlobReader il)
        {
            while (il.RemainingBytes > 0)
            {
                short code = il.ReadByte();
                if (code == 0xFE) code = unchecked((short)(0xFE00 | il.ReadByte()));
                switch (Operands[code])
                {
                    case OperandType.InlineNone: break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.Offset += 1; break;
                    case OperandType.InlineVar: il.Offset += 2; break;
                    case OperandType.InlineI8 or OperandType.InlineR: il.Offset += 8; break;
                    case OperandType.InlineSwitch: var targets = il.ReadInt32(); il.Offset += 4 * targets; break;
                    case OperandType.InlineTok or OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineSig:
                        Entity(MetadataTokens.EntityHandle(il.ReadInt32())); break;
                    default: il.Offset += 4; break; // InlineBrTarget, InlineI, InlineString, ShortInlineR
                }
            }
        }

        private void Entity(EntityHandle handle)
        {
            if (handle.IsNil) return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition: Found.Add((TypeDefinitionHandle)handle); break;
                case HandleKind.TypeSpecification: md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null); break;
                case HandleKind.MethodDefinition:
                    var method = md.GetMethodDefinition((MethodDefinitionHandle)handle);
                    Found.Add(method.GetDeclaringType());
                    method.DecodeSignature(this, null);
                    break;
                case HandleKind.FieldDefinition:
                    var field = md.GetFieldDefinition((FieldDefinitionHandle)handle);
                    Found.Add(field.GetDeclaringType());
                    field.DecodeSignature(this, null);
                    break;
                case HandleKind.MemberReference:
                    var member = md.GetMemberReference((MemberReferenceHandle)handle);
                    Entity(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method) member.DecodeMethodSignature(this, null);
                    else member.DecodeFieldSignature(this, null);
                    break;
                case HandleKind.MethodSpecification:
                    var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Entity(spec.Method);
                    spec.DecodeSignature(this, null);
                    break;
                case HandleKind.StandaloneSignature:
                    var sig = md.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                    if (sig.GetKind() == StandaloneSignatureKind.Method) sig.DecodeMethodSignature(this, null);
                    else sig.DecodeLocalSignature(this, null);
                    break;
            }
        }

        private void GenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var g in parameters)
            {
                var parameter = md.GetGenericParameter(g);
                foreach (var c in parameter.GetConstraints()) Entity(md.GetGenericParameterConstraint(c).Type);
                Attributes(parameter.GetCustomAttributes());
            }
        }

        private void Attributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes)
            {
                var attribute = md.GetCustomAttribute(a);
                Entity(attribute.Constructor);
                attribute.DecodeValue(this); // typeof(...) arguments resolve through GetTypeFromSerializedName
            }
        }

        // ---- Signature decoding: this assembly's type definitions are recorded; attribute enums of other assemblies are taken as int (as the ones used are).
        public Sig GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) { Found.Add(handle); return default; }
        public Sig GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeReference(handle);
            return new Sig(reader.GetString(type.Namespace) + "." + reader.GetString(type.Name));
        }
        public Sig GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public Sig GetPrimitiveType(PrimitiveTypeCode typeCode) => default;
        public Sig GetSZArrayType(Sig elementType) => default;
        public Sig GetArrayType(Sig elementType, ArrayShape shape) => default;
        public Sig GetByReferenceType(Sig elementType) => default;
        public Sig GetPointerType(Sig elementType) => default;
        public Sig GetPinnedType(Sig elementType) => default;
        public Sig GetGenericInstantiation(Sig genericType, ImmutableArray<Sig> typeArguments) => default;
        public Sig GetGenericMethodParameter(object? context, int index) => default;
        public Sig GetGenericTypeParameter(object? context, int index) => default;
        public Sig GetFunctionPointerType(MethodSignature<Sig> signature) => default;
        public Sig GetModifiedType(Sig modifier, Sig unmodifiedType, bool isRequired) => default;
        public Sig GetSystemType() => new("System.Type");
        public bool IsSystemType(Sig type) => type.Reference == "System.Type";
        public PrimitiveTypeCode GetUnderlyingEnumType(Sig type) => PrimitiveTypeCode.Int32;

        /// <summary>A <c>typeof</c> attribute argument, written as an assembly-qualified name; ours are found by full name.</summary>
        public Sig GetTypeFromSerializedName(string name)
        {
            var fullName = name.Split(',')[0].Split('[')[0].Replace('+', '/');
            foreach (var handle in md.TypeDefinitions)
                if (FullName(handle) == fullName) Found.Add(handle);
            return default;
        }

        private string FullName(TypeDefinitionHandle handle)
        {
            var type = md.GetTypeDefinition(handle);
            var outer = type.GetDeclaringType();
            if (!outer.IsNil) return FullName(outer) + "/" + md.GetString(type.Name);
            var ns = md.GetString(type.Namespace);
            return ns.Length == 0 ? md.GetString(type.Name) : ns + "." + md.GetString(type.Name);
        }
    }
}
