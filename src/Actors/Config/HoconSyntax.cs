using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace NrtCluster.Actors.Config;

/// <summary>One structural error of a HOCON text: where (1-based line and column) and what.</summary>
public sealed record HoconSyntaxError(int Line, int Column, string Message);

/// <summary>HOCON that does not parse: <see cref="Location"/> is the file, with line and column where known.</summary>
public sealed class HoconSyntaxException(string location, string problem) : Exception($"{location}: {problem}")
{
    public string Location { get; } = location;
    public string Problem { get; } = problem;
}

/// <summary>
/// A structural check of HOCON text, run before Akka's parser sees it. Akka's parser loops without end, allocating
/// until the machine runs out of memory, on a list holding anything that does not start a value (an unclosed '['
/// followed by '}', a stray '=', a '${?x}'), and it accepts a missing final '}' silently. This one pass reads the
/// text as Akka's tokenizer does (quoted text, comments, substitutions) and rejects all of these, saying where.
/// Fuzzing it against Akka's parser (random token sequences that pass it) found no further endless loop.
/// </summary>
public static class HoconSyntax
{
    /// <summary>Characters that Akka's tokenizer does not take into unquoted text.</summary>
    private const string NotInUnquotedText = "$\"{}[]:=,#`^?!@*&\\";

    /// <summary>
    /// Parses <paramref name="text"/> with Akka once <see cref="Check"/> finds nothing; any error is a
    /// <see cref="HoconSyntaxException"/> naming <paramref name="source"/> (and line and column where known).
    /// </summary>
    public static Akka.Configuration.Config Parse(string text, string source)
    {
        if (Check(text) is { } error) throw new HoconSyntaxException($"{source}:{error.Line}:{error.Column}", error.Message);
        Akka.Configuration.Config config;
        try
        {
            config = ConfigurationFactory.ParseString(text);
        }
        catch (Exception e)
        {
            throw new HoconSyntaxException(source, $"not valid HOCON: {e.Message}");
        }
        if (SubstitutionCycle(config) is { } path)
            throw new HoconSyntaxException(source, $"${{{path}}} refers back to itself through its substitutions; give it a value");
        return config;
    }

    /// <summary>
    /// A substitution that leads back to itself: Akka follows such a cycle (${a} in a, or a = ${b}, b = ${a}) until the
    /// stack overflows, which ends the process without a message.
    /// </summary>
    private static string? SubstitutionCycle(Akka.Configuration.Config config)
    {
        var done = new HashSet<HoconSubstitution>(ReferenceEqualityComparer.Instance);
        var onPath = new HashSet<HoconSubstitution>(ReferenceEqualityComparer.Instance);
        string? Visit(HoconSubstitution sub)
        {
            if (done.Contains(sub)) return null;
            if (!onPath.Add(sub)) return sub.Path;
            foreach (var next in sub.ResolvedValue?.Values.OfType<HoconSubstitution>() ?? [])
                if (Visit(next) is { } cycle) return cycle;
            onPath.Remove(sub);
            done.Add(sub);
            return null;
        }
        return config.Substitutions.Select(Visit).FirstOrDefault(p => p is not null);
    }

    /// <summary>The first structural error of <paramref name="text"/>, or null when Akka's parser can read it to the end.</summary>
    public static HoconSyntaxError? Check(string text)
    {
        var open = new Stack<(char Bracket, int Line, int Column)>();
        int line = 1, lineStart = 0, i = 0;
        char previous = '\0'; // the last character outside whitespace and comments
        HoconSyntaxError At(int index, string message) => new(line, index - lineStart + 1, message);

        while (i < text.Length)
        {
            char c = text[i];
            if (c == '\n')
            {
                line++;
                lineStart = ++i;
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (IsCommentStart(text, i))
            {
                i = LineEnd(text, i);
                continue;
            }
            bool inList = open.TryPeek(out var inner) && inner.Bracket == '[';
            if (previous == '{' && c is '{' or '[')
                return At(i, $"'{c}' where a key is expected: an object holds 'key = value' entries (doubled '{{'?)");
            previous = c;
            switch (c)
            {
                case '{' or '[':
                    open.Push((c, line, i - lineStart + 1));
                    i++;
                    break;
                case '}' or ']':
                    char opener = c == '}' ? '{' : '[';
                    if (open.Count == 0) return At(i, $"'{c}' without a matching '{opener}'");
                    var top = open.Pop();
                    if (top.Bracket != opener)
                        return new(top.Line, top.Column,
                            $"'{top.Bracket}' opened here is never closed: '{c}' at line {line}, column {i - lineStart + 1} comes first");
                    i++;
                    break;
                case '"' when text.AsSpan(i).StartsWith("\"\"\""):
                    // Akka reads '"""' as triple quotes where a value starts and as '""' then '"' where a key may; which
                    // one it is here would take a full parser to tell, and a project or settings file needs no multi-line text.
                    return At(i, "'\"\"\"' (text over several lines) is not supported: write the text in \"...\" on one line");
                case '"':
                    int j = i + 1;
                    while (j < text.Length && text[j] != '"' && text[j] != '\n') j += text[j] == '\\' && Next(text, j) != '\n' ? 2 : 1;
                    if (j >= text.Length || text[j] != '"')
                        return At(i, "'\"' opened here is not closed on its line: a text in quotes ends on the line it starts");
                    i = j + 1;
                    break;
                case '$' when Next(text, i) == '{':
                    // Akka reads a substitution as unquoted text up to '}': no spaces, no '?' (optional ones are not supported).
                    int end = i + 2;
                    while (end < text.Length && IsUnquotedText(text, end)) end++;
                    if (end == i + 2 || end >= text.Length || text[end] != '}')
                        return At(i, "'${' opened here is not a substitution Akka can read: write ${path.to.key}, without spaces or '?'");
                    i = end + 1;
                    break;
                case not ',' when inList && NotInUnquotedText.Contains(c):
                    return At(i, $"'{c}' cannot stand in a list [...]: a list holds values separated by commas; put text with '{c}' in quotes");
                default:
                    i++;
                    break;
            }
        }
        if (open.Count > 0)
        {
            var (bracket, l, col) = open.Pop();
            return new(l, col, $"'{bracket}' opened here is never closed: the file ends first");
        }
        return null;
    }

    private static bool IsUnquotedText(string text, int i) =>
        !char.IsWhiteSpace(text[i]) && !IsCommentStart(text, i) && !NotInUnquotedText.Contains(text[i]);

    private static bool IsCommentStart(string text, int i) => text[i] == '#' || (text[i] == '/' && Next(text, i) == '/');

    private static char Next(string text, int i) => i + 1 < text.Length ? text[i + 1] : '\0';

    private static int LineEnd(string text, int i) => text.IndexOf('\n', i) is var n and >= 0 ? n : text.Length;
}
