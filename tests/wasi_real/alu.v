// A small ALU: enough logic for techmapping and ABC to have work to do.
module alu(input [3:0] op, input [15:0] a, b, output reg [15:0] y, output zero);
  always @*
    case (op)
      4'd0: y = a + b;
      4'd1: y = a - b;
      4'd2: y = a & b;
      4'd3: y = a | b;
      4'd4: y = a ^ b;
      4'd5: y = a << b[3:0];
      4'd6: y = a >> b[3:0];
      4'd7: y = {15'd0, a < b};
      default: y = a * b[7:0];
    endcase
  assign zero = y == 16'd0;
endmodule
