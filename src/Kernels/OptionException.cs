namespace NrtCluster.Kernels;

/// <summary>
/// A bad monitor or fit option, by its reference name (<see cref="Option"/>); the message says what is expected
/// there, in words for whoever wrote the option (no parameter names), so a project file can report it under its key.
/// </summary>
public sealed class OptionException(string option, string message) : ArgumentException(message)
{
    public string Option { get; } = option;
}
