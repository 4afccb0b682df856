using System.Reflection;
using System.Reflection.Emit;

namespace Twine.Functions.Tests.Architecture;

/// <summary>
/// Which types a type uses, read from the assembly itself: its base type, interfaces, fields, properties, method
/// signatures and every type, method or field its method bodies reference (IL operand tokens resolved through the
/// module). No framework needed; nested and compiler-generated types (lambdas, async state machines) count for the
/// type they belong to.
/// </summary>
internal static class AssemblyDependencies
{
    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The outermost declaring type (a lambda's closure or a state machine belongs to the type that wrote it).</summary>
    public static Type Owner(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    public static IEnumerable<Type> UsedBy(Type type)
    {
        var used = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null)
            {
                return;
            }

            if (t.HasElementType)
            {
                Add(t.GetElementType());
                return;
            }

            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                foreach (var argument in t.GetGenericArguments())
                {
                    Add(argument);
                }

                Add(t.GetGenericTypeDefinition());
                return;
            }

            if (!t.IsGenericParameter)
            {
                used.Add(t);
            }
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces())
        {
            Add(i);
        }

        foreach (var field in type.GetFields(Everything))
        {
            Add(field.FieldType);
        }

        foreach (var property in type.GetProperties(Everything))
        {
            Add(property.PropertyType);
        }

        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            if (method is MethodInfo info)
            {
                Add(info.ReturnType);
            }

            foreach (var parameter in method.GetParameters())
            {
                Add(parameter.ParameterType);
            }

            foreach (var referenced in ReferencedByBody(method))
            {
                Add(referenced);
            }
        }

        return used;
    }

    /// <summary>The declaring types of what the method's IL references (calls, field access, newobj, casts, typeof).</summary>
    private static IEnumerable<Type> ReferencedByBody(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var module = method.Module;
        var typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var at = 0;
        while (at < il.Length)
        {
            short value = il[at] == 0xFE && at + 1 < il.Length ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += value > 0xFF || value < 0 ? 2 : 1;
            if (!OpCodesByValue.TryGetValue(value, out var opcode))
            {
                yield break; // not IL we know: stop rather than misread
            }

            switch (opcode.OperandType)
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                case OperandType.InlineSwitch:
                    var count = BitConverter.ToInt32(il, at);
                    at += 4 + (4 * count);
                    break;
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var token = BitConverter.ToInt32(il, at);
                    at += 4;
                    Type? declaring = null;
                    try
                    {
                        var member = module.ResolveMember(token, typeArguments, methodArguments);
                        declaring = member as Type ?? member?.DeclaringType;
                    }
                    catch (Exception e) when (e is ArgumentException or BadImageFormatException or MissingMemberException)
                    {
                        // A member of a generic context we cannot resolve here: skipped.
                    }

                    if (declaring is not null)
                    {
                        yield return declaring;
                    }

                    break;
                default:
                    at += 4; // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
                    break;
            }
        }
    }
}
