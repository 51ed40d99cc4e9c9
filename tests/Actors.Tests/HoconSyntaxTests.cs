using NrtCluster.Actors.Config;

namespace NrtCluster.Actors.Tests;

public sealed class HoconSyntaxTests
{
    // Unchecked, the first two made Akka's parser allocate without end and the missing or doubled braces passed silently.
    [Theory]
    [InlineData("project {\n  area-of-interest {\n    bbox = [[24.9, 45.3], [25.4, 45.7]\n  }\n}\n", 3, 12, "'[' opened here is never closed: '}' at line 4, column 3 comes first")]
    [InlineData("project {\n  x = [1, 2\n", 2, 7, "'[' opened here is never closed: the file ends first")]
    [InlineData("project {\n  name = x\n", 1, 9, "'{' opened here is never closed: the file ends first")]
    [InlineData("project {\n  grid {{ crs = x }\n}\n", 2, 9, "'{' where a key is expected")]
    [InlineData("project {\n  name = \"x\n}\n", 2, 10, "'\"' opened here is not closed on its line")]
    [InlineData("project {\n  name = x\n}\n}\n", 4, 1, "'}' without a matching '{'")]
    [InlineData("project {\n  bbox = [24.9, 45.3, =]\n}\n", 2, 23, "'=' cannot stand in a list")]
    [InlineData("project {\n  name = ${?NAME}\n}\n", 2, 10, "'${' opened here is not a substitution Akka can read")]
    [InlineData("project {\n  name = \"\"\"x\"\"\"\n}\n", 2, 10, "'\"\"\"' (text over several lines) is not supported")]
    public void Structural_errors_name_their_line_and_column(string text, int line, int column, string message)
    {
        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(text, Path.GetTempPath(), "test.conf"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal($"test.conf:{line}:{column}", error.Key);
        Assert.StartsWith(message, error.Message);
    }

    // Akka follows these until the stack overflows, which ends the process with no message at all.
    [Theory]
    [InlineData("project { name = ${project.name} }", "project.name")]
    [InlineData("a = ${b}\nb = ${a}\nproject { name = ${a} }", "b")]
    public void Substitutions_that_refer_back_to_themselves_are_named(string text, string path)
    {
        var ex = Assert.Throws<ProjectConfigException>(() => ProjectConfigLoader.Parse(text, Path.GetTempPath(), "test.conf"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("test.conf", error.Key);
        Assert.StartsWith($"${{{path}}} refers back to itself", error.Message);
    }

    [Fact]
    public void Brackets_in_quotes_and_comments_do_not_count_and_the_node_profiles_pass()
    {
        const string text = """
            # a comment with [ and {
            // another with ] and }
            a { b = "text with [ { and \" quote", c = [1, "x]", 2], d : {} }
            e = [[1, 2], [3, 4]], f = [{ g = 1 }, { h = [] }], i = ${a.b}
            """;
        var config = HoconSyntax.Parse(text, "t.conf");
        Assert.Equal("text with [ { and \" quote", config.GetString("i"));
        Assert.Equal(["1", "x]", "2"], config.GetStringList("a.c"));
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot.Path, "hocon"), "*.conf"))
            Assert.Null(HoconSyntax.Check(File.ReadAllText(file)));
    }
}
