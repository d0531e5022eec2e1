import XCTest
@testable import Language

/// The exact diagnostic for common mistakes: the message, the place, the underlined span, what
/// was expected and found, and the hint.
final class DiagnosticTests: XCTestCase {
    /// The diagnostic `text` produces, run in a fresh interpreter.
    func diagnostic(_ text: String) -> String {
        let interpreter = Interpreter(context: RuntimeContext(outputDirectory: NSTemporaryDirectory() + "medsynth-diagnostics") { _ in })
        do {
            try interpreter.run(SourceFile(name: "notes.medsynth", text: text))
            return "no error"
        } catch {
            return error.description
        }
    }

    func check(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        let actual = diagnostic(text)
        if ProcessInfo.processInfo.environment["MEDSYNTH_PRINT_DIAGNOSTICS"] == "1" { print("----\n\(text)\n=>\n\(actual)") }
        XCTAssertEqual(actual, expected, file: file, line: line)
    }
}

extension DiagnosticTests {
    func testMisspeltVerb() {
        check(#"""
            img = zeros [8, 8]
            e = edgse img
            """#, #"""
            error: unknown verb 'edgse'
             --> notes.medsynth:2:5
              |
            2 | e = edgse img
              |     ^^^^^
              = hint: did you mean 'edges'?
            """#)
    }

    func testMisspeltName() {
        check(#"""
            x = 1
            y = xx + 1
            """#, #"""
            error: unknown name 'xx'
             --> notes.medsynth:2:5
              |
            2 | y = xx + 1
              |     ^^
              = hint: did you mean 'x'?
            """#)
    }

    func testMisspeltOption() {
        check(#"""
            p = phantom n=2 sede=1
            """#, #"""
            error: 'phantom' has no option 'sede'
             --> notes.medsynth:1:17
              |
            1 | p = phantom n=2 sede=1
              |                 ^^^^
              = expected one of n, size, first, phase, noise, seed
              = hint: did you mean 'seed'?
            """#)
    }

    func testMissingArgument() {
        check(#"""
            e = edges sigma=1
            """#, #"""
            error: 'edges' needs its argument 'image'
             --> notes.medsynth:1:5
              |
            1 | e = edges sigma=1
              |     ^^^^^^^^^^^^^
              = expected edges image sigma=1 low=0.1 high=0.2 quantiles=false stages=false
              = hint: image: [H, W], [1, H, W] or a batch [N, 1, H, W]
            """#)
    }

    func testTooManyArguments() {
        check(#"""
            a = zeros [2]
            m = onehot a a
            """#, #"""
            error: 'onehot' takes at most 1 positional argument, given 2
             --> notes.medsynth:2:14
              |
            2 | m = onehot a a
              |              ^
              = expected onehot labels classes=4
              = hint: options are written name=value, e.g. classes=...
            """#)
    }

    func testWrongType() {
        check(#"""
            e = edges "scan.png"
            """#, #"""
            error: 'edges' needs a tensor for image
             --> notes.medsynth:1:11
              |
            1 | e = edges "scan.png"
              |           ^^^^^^^^^^
              = expected a tensor ([H, W], [1, H, W] or a batch [N, 1, H, W])
              = found a string
            """#)
    }

    func testMisspeltChoice() {
        check(#"""
            a = autoencoder kind=kll
            """#, #"""
            error: 'kll' is not a choice of kind
             --> notes.medsynth:1:22
              |
            1 | a = autoencoder kind=kll
              |                      ^^^
              = expected one of kl, vq, plain
              = hint: did you mean 'kl'?
            """#)
    }

    func testMisspeltMetric() {
        check(#"""
            a = zeros [2]
            metric ssmi a a
            """#, #"""
            error: 'ssmi' is not a choice of kind
             --> notes.medsynth:2:8
              |
            2 | metric ssmi a a
              |        ^^^^
              = expected one of ssim, msssim, psnr, nmse, mse, mae, dice, edgef1, frechet, kid, precision, recall, density, coverage
              = hint: did you mean 'ssim'?
            """#)
    }

    func testUnclosedList() {
        check(#"""
            x = [1, 2
            """#, #"""
            error: expected ']' to close the list
             --> notes.medsynth:1:10
              |
            1 | x = [1, 2
              |          ^
              = expected ']'
              = found the end of the input
            """#)
    }

    func testUnclosedString() {
        check(#"""
            x = load "scan.png
            """#, #"""
            error: this string has no closing quote
             --> notes.medsynth:1:10
              |
            1 | x = load "scan.png
              |          ^^^^^^^^^
              = hint: strings end on the line they start; write \n for a line break
            """#)
    }

    func testHashComment() {
        check(#"""
            # a note
            """#, #"""
            error: unexpected character '#'
             --> notes.medsynth:1:1
              |
            1 | # a note
              | ^
              = hint: comments start with '--'
            """#)
    }

    func testAssignInExpect() {
        check(#"""
            x = 1
            expect x = 1
            """#, #"""
            error: '=' binds a name at the start of a statement
             --> notes.medsynth:2:10
              |
            2 | expect x = 1
              |          ^
              = found '='
              = hint: to compare, write '=='
            """#)
    }

    func testApplyingATensor() {
        check(#"""
            x = zeros [2]
            y = x 2
            """#, #"""
            error: 'x' is a tensor, not a verb or a function
             --> notes.medsynth:2:5
              |
            2 | y = x 2
              |     ^
              = hint: to multiply, write '*'; to index, write x[...]
            """#)
    }

    func testShapesDoNotBroadcast() {
        check(#"""
            a = zeros [2, 3]
            b = a + zeros [4]
            """#, #"""
            error: the shapes [2, 3] and [4] do not broadcast
             --> notes.medsynth:2:5
              |
            2 | b = a + zeros [4]
              |     ^^^^^^^^^^^^^
              = hint: axes must be equal, or one of them 1, counting from the right
            """#)
    }

    func testIndexOutOfRange() {
        check(#"""
            x = zeros [2, 3]
            y = x[5]
            """#, #"""
            error: index 5 is out of range for axis 0 of size 2
             --> notes.medsynth:2:7
              |
            2 | y = x[5]
              |       ^
              = expected an index in -2..1
            """#)
    }

    func testTooManyIndices() {
        check(#"""
            x = zeros [2, 3]
            y = x[0, 0, 0]
            """#, #"""
            error: 3 indices for a tensor of rank 2
             --> notes.medsynth:2:5
              |
            2 | y = x[0, 0, 0]
              |     ^^^^^^^^^^
              = found a tensor of shape [2, 3]
            """#)
    }

    func testArgumentAfterOption() {
        check(#"""
            img = zeros [8, 8]
            e = edges sigma=1 img
            """#, #"""
            error: a positional argument after an option
             --> notes.medsynth:2:19
              |
            2 | e = edges sigma=1 img
              |                   ^^^
              = hint: put 'img' before the options
            """#)
    }

    func testLoopWithoutDo() {
        check(#"""
            for i in [1, 2]
              print i
            end
            """#, #"""
            error: expected 'do' to start the loop's body
             --> notes.medsynth:1:16
              |
            1 | for i in [1, 2]
              |                ^
              = expected 'do'
              = found the end of the line
            """#)
    }

    func testBlockWithoutEnd() {
        check(#"""
            def f x do
              x + 1
            """#, #"""
            error: the 'def f' block has no 'end'
             --> notes.medsynth:1:1
              |
            1 | def f x do
              | ^^^
              = hint: close the block with 'end'
            """#)
    }

    func testNothingAfterAssign() {
        check(#"""
            x =
            """#, #"""
            error: expected a value after '='
             --> notes.medsynth:1:4
              |
            1 | x =
              |    ^
              = expected an expression
              = found the end of the input
            """#)
    }

    func testPercentageOutsideTolerance() {
        check(#"""
            x = 5%
            """#, #"""
            error: a percentage is only a tolerance
             --> notes.medsynth:1:5
              |
            1 | x = 5%
              |     ^^
              = hint: write 'x ~ y +- 5%' for a relative tolerance, or 0.05 for the number
            """#)
    }

    func testFunctionArity() {
        check(#"""
            def f x = x
            y = f 1 2
            """#, #"""
            error: 'f' takes 1 argument, given 2
             --> notes.medsynth:2:5
              |
            2 | y = f 1 2
              |     ^^^^^
              = expected f x
            """#)
    }

    func testMisspeltField() {
        check(#"""
            p = phantom n=1
            q = p.imag
            """#, #"""
            error: the record has no field 'imag'
             --> notes.medsynth:2:5
              |
            2 | q = p.imag
              |     ^^^^^^
              = expected one of image, label
              = hint: did you mean 'image'?
            """#)
    }

    func testNegativeSeed() {
        check(#"""
            x = randn [2] seed=-1
            """#, #"""
            error: 'randn' needs a whole number >= 0 for seed
             --> notes.medsynth:1:20
              |
            1 | x = randn [2] seed=-1
              |                    ^^
              = expected integer >= 0
              = found the number -1
            """#)
    }

    func testStrayEnd() {
        check(#"""
            end
            """#, #"""
            error: 'end' without a 'do' block to close
             --> notes.medsynth:1:1
              |
            1 | end
              | ^^^
              = found 'end'
            """#)
    }

    func testKeywordAsName() {
        check(#"""
            for in in [1] do print 1 end
            """#, #"""
            error: expected a name after 'for'
             --> notes.medsynth:1:5
              |
            1 | for in in [1] do print 1 end
              |     ^^
              = expected a name
              = found 'in'
              = hint: 'in' is a keyword and cannot be a name
            """#)
    }

    func testNumberIntoName() {
        check(#"""
            x = 3x
            """#, #"""
            error: a number cannot run into a name
             --> notes.medsynth:1:5
              |
            1 | x = 3x
              |     ^^
              = hint: put a space between them, or start the name with a letter
            """#)
    }

    func testEngineErrorAtItsStatement() {
        check(#"""
            x = reshape (zeros [2, 3]) [4, 2]
            """#, #"""
            error: 6 values do not fit the shape [4, 2]
             --> notes.medsynth:1:28
              |
            1 | x = reshape (zeros [2, 3]) [4, 2]
              |                            ^^^^^^
              = found a tensor of shape [2, 3]
            """#)
    }

    func testAssignToIndex() {
        check(#"""
            x = zeros [2]
            x[0] = 1
            """#, #"""
            error: only a name can be bound with '='
             --> notes.medsynth:2:6
              |
            2 | x[0] = 1
              |      ^
              = found '='
              = hint: values do not change in place; bind the result to a name, e.g. y = ...
            """#)
    }

    func testFunctionHidingAVerb() {
        check(#"""
            def edges x = x
            """#, #"""
            error: 'edges' is a verb; a function cannot hide it
             --> notes.medsynth:1:5
              |
            1 | def edges x = x
              |     ^^^^^
            """#)
    }

    func testTrainingWithoutConditions() {
        check(#"""
            net = unet widths=[8, 16] groups=4 cond={mask: 4, edges: 1}
            a = train net data=(zeros [2, 4, 4, 4]) steps=1
            """#, #"""
            error: a conditional UNet trains on latents and their conditions
             --> notes.medsynth:2:5
              |
            2 | a = train net data=(zeros [2, 4, 4, 4]) steps=1
              |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
              = expected mask (4 channels), edges (1 channel)
              = found no cond=
              = hint: give cond=
            """#)
    }

    func testTrainingOnAnInputTheModelDoesNotUse() {
        check(#"""
            ae = autoencoder widths=[8, 16] groups=4
            a = train ae data=(zeros [2, 1, 8, 8]) labels=(zeros [2, 1, 8, 8]) steps=1
            """#, #"""
            error: the KL autoencoder does not train on labels=
             --> notes.medsynth:2:48
              |
            2 | a = train ae data=(zeros [2, 1, 8, 8]) labels=(zeros [2, 1, 8, 8]) steps=1
              |                                                ^^^^^^^^^^^^^^^^^^
              = found a tensor of shape [2, 1, 8, 8]
              = hint: it trains on data= and loss=
            """#)
    }

    func testTrainingLabelsOutsideTheClasses() {
        check(#"""
            seg = segmenter widths=[8, 16] groups=4
            a = train seg data=(zeros [2, 1, 8, 8]) labels=(ones [2, 1, 8, 8] * 4) steps=1
            """#, #"""
            error: labels are whole numbers 0 ..< 4
             --> notes.medsynth:2:49
              |
            2 | a = train seg data=(zeros [2, 1, 8, 8]) labels=(ones [2, 1, 8, 8] * 4) steps=1
              |                                                 ^^^^^^^^^^^^^^^^^^^^^
              = found the label 4
            """#)
    }
}

